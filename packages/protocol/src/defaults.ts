/** The ports every part of bottle agrees on, written once. */

/** The port a bottle server listens on unless told otherwise (the original's port). */
export const DEFAULT_PORT = 1988;

/** The local port of a worker's SSH tunnel (`bottle-worker host -t`) unless told otherwise. */
export const DEFAULT_TUNNEL_PORT = 19880;
