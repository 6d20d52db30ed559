// The 16 KB JSON body every server of bench/functions.js answers.
export const BODY = JSON.stringify({ items: Array.from({ length: 160 }, (_, i) => ({ id: i, name: `activity ${i}`, distance: 40000 + i, note: 'x'.repeat(48) })) });
export const BODY_HEADERS = { 'content-type': 'application/json' };
