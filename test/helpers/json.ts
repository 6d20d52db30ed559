/**
 * A response's JSON body for a test to assert on field by field. Node's fetch types `json()` as
 * `unknown`; a test states the shape through its expectations instead.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonBody = Record<string, any>;

export const readJson = async (res: Response): Promise<JsonBody> => (await res.json()) as JsonBody;
