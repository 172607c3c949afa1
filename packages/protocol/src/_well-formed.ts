/** Lone UTF-16 surrogates: they have no UTF-8 form, so a store or a hash would change them silently. */

// Node 20 has String.prototype.isWellFormed (ES2024); the ES2023 library types do not declare it.
const nativeIsWellFormed = (String.prototype as unknown as { isWellFormed: (this: string) => boolean })
  .isWellFormed;

/** True when `text` holds no lone surrogate. */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed.call(text);
}
