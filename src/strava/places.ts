/** Home towns for fake athletes. Offsets are fixed (no DST) so local times stay deterministic. */
export interface Place {
  city: string;
  country: string;
  lat: number;
  lng: number;
  altitude: number;
  timezone: string;
  offsetMinutes: number;
  /** Metres climbed per km on a typical ride. */
  hilliness: number;
}

export const PLACES: readonly Place[] = [
  { city: 'Girona', country: 'Spain', lat: 41.9794, lng: 2.8214, altitude: 75, timezone: 'Europe/Madrid', offsetMinutes: 60, hilliness: 14 },
  { city: 'Boulder', country: 'United States', lat: 40.015, lng: -105.2705, altitude: 1655, timezone: 'America/Denver', offsetMinutes: -420, hilliness: 16 },
  { city: 'Amsterdam', country: 'Netherlands', lat: 52.3676, lng: 4.9041, altitude: 2, timezone: 'Europe/Amsterdam', offsetMinutes: 60, hilliness: 2 },
  { city: 'London', country: 'United Kingdom', lat: 51.5072, lng: -0.1276, altitude: 35, timezone: 'Europe/London', offsetMinutes: 0, hilliness: 7 },
  { city: 'Nice', country: 'France', lat: 43.7102, lng: 7.262, altitude: 10, timezone: 'Europe/Paris', offsetMinutes: 60, hilliness: 18 },
  { city: 'San Francisco', country: 'United States', lat: 37.7749, lng: -122.4194, altitude: 16, timezone: 'America/Los_Angeles', offsetMinutes: -480, hilliness: 12 },
  { city: 'Melbourne', country: 'Australia', lat: -37.8136, lng: 144.9631, altitude: 31, timezone: 'Australia/Melbourne', offsetMinutes: 600, hilliness: 6 },
  { city: 'Bergamo', country: 'Italy', lat: 45.6983, lng: 9.6773, altitude: 249, timezone: 'Europe/Rome', offsetMinutes: 60, hilliness: 15 },
  { city: 'Copenhagen', country: 'Denmark', lat: 55.6761, lng: 12.5683, altitude: 14, timezone: 'Europe/Copenhagen', offsetMinutes: 60, hilliness: 3 },
  { city: 'Portland', country: 'United States', lat: 45.5152, lng: -122.6784, altitude: 15, timezone: 'America/Los_Angeles', offsetMinutes: -480, hilliness: 9 },
  { city: 'Tokyo', country: 'Japan', lat: 35.6762, lng: 139.6503, altitude: 40, timezone: 'Asia/Tokyo', offsetMinutes: 540, hilliness: 8 },
  { city: 'Cape Town', country: 'South Africa', lat: -33.9249, lng: 18.4241, altitude: 25, timezone: 'Africa/Johannesburg', offsetMinutes: 120, hilliness: 13 },
];

export const FIRST_NAMES_M = ['Jonas', 'Luca', 'Tom', 'Marco', 'Pieter', 'Sam', 'Diego', 'Ben', 'Kenji', 'Oliver', 'Mads', 'Thabo', 'Lars', 'Felix', 'Noah', 'Hugo'] as const;
export const FIRST_NAMES_F = ['Anna', 'Sofia', 'Emma', 'Marianne', 'Lotte', 'Chloe', 'Yuki', 'Ellen', 'Lucia', 'Amy', 'Ingrid', 'Zola', 'Nina', 'Clara', 'Maya', 'Ruth'] as const;
export const LAST_NAMES = ['Vos', 'Rossi', 'Pidcock', 'Moreno', 'Jensen', 'Bakker', 'Walker', 'Tanaka', 'Dupont', 'Smith', 'Nkosi', 'Keller', 'Ferrand', 'Larsen', 'Costa', 'Novak', 'Hughes', 'Berg', 'Silva', 'Murphy'] as const;
