/**
 * The push subscription id local webhook deliveries carry (serve's fake Strava's). Strava assigns
 * a real one when the subscription is created; deployed sites configure it (STRAVA_SUBSCRIPTION_ID).
 */
export const LOCAL_STRAVA_SUBSCRIPTION_ID = 1;
