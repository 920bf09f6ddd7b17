/**
 * The generated @hey-api fetch client names the DOM's `BodyInit`; this project compiles for Node
 * (no DOM lib), whose fetch takes the same type from undici.
 */
declare global {
  type BodyInit = import('undici-types').BodyInit;
}

export {};
