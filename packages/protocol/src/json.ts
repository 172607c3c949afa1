/** The JSON values that cross the wire, as types: what hashing, the schemas and parameter sets share. */

/** A JSON value as it crosses the wire (finite numbers only). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One parameter set: a plain object of JSON values. */
export type Params = { [key: string]: JsonValue };
