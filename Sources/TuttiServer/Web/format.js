// Formatting for people. Money arrives as integer minor units (1 credit = 1,000,000 units)
// and is turned into text with integer arithmetic only, never floating point.

export const UNITS_PER_CREDIT = 1_000_000;

/** "0.002000 credits" from 2000 units. */
export function credits(units, { suffix = true } = {}) {
  const value = BigInt(units ?? 0);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(7, '0');
  const text = `${negative ? '−' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
  return suffix ? `${text} credits` : text;
}

/** "1:07" from 67.2 seconds. */
export function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

export function dateTime(text) {
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** "2.5 MB" from a byte count. */
export function bytes(count) {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KB`;
  return `${(count / (1024 * 1024)).toFixed(1)} MB`;
}

/** Builds an element: el('p', {class: 'muted'}, 'text', child). Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Shows a short message in the polite live region. */
export function toast(message) {
  const region = document.getElementById('toast');
  region.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { region.textContent = ''; }, 5000);
}

/**
 * An <img> of a cover or avatar from its sizes (largest first, as the API lists them): the
 * browser picks from all of them by `sizes`, and `src` is the smallest at least `size`
 * pixels wide. Without sizes, a plain box with the title's first letter (hidden from
 * screen readers: the title is said next to it).
 */
export function picture(sizes, { size, sizesAttribute, alt = '', id, className = 'cover', loading = 'lazy' } = {}) {
  if (!sizes || sizes.length === 0) {
    return el('div', { class: `${className} placeholder`, id, 'aria-hidden': 'true' }, (alt.replace(/^Cover of |^Picture of /, '')[0] || '♪').toUpperCase());
  }
  const ascending = [...sizes].sort((a, b) => a.size - b.size);
  const chosen = ascending.find((item) => item.size >= size) || ascending[ascending.length - 1];
  return el('img', {
    class: className, id, alt, src: chosen.url, width: size, height: size, loading, decoding: 'async',
    srcset: ascending.map((item) => `${item.url} ${item.size}w`).join(', '),
    sizes: sizesAttribute || `${size}px`,
  });
}

/** The licence's name in words (the API gives SPDX identifiers). */
export function licenceName(licence) {
  return {
    'all-rights-reserved': 'All rights reserved',
    'CC-BY-4.0': 'Creative Commons Attribution 4.0 (CC BY 4.0)',
    'CC-BY-SA-4.0': 'Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA 4.0)',
    'CC-BY-ND-4.0': 'Creative Commons Attribution-NoDerivatives 4.0 (CC BY-ND 4.0)',
    'CC-BY-NC-4.0': 'Creative Commons Attribution-NonCommercial 4.0 (CC BY-NC 4.0)',
    'CC-BY-NC-SA-4.0': 'Creative Commons Attribution-NonCommercial-ShareAlike 4.0 (CC BY-NC-SA 4.0)',
    'CC-BY-NC-ND-4.0': 'Creative Commons Attribution-NonCommercial-NoDerivatives 4.0 (CC BY-NC-ND 4.0)',
    'CC0-1.0': 'No rights reserved: CC0 1.0 public domain dedication',
  }[licence] || licence;
}

export const LICENCES = ['all-rights-reserved', 'CC-BY-4.0', 'CC-BY-SA-4.0', 'CC-BY-ND-4.0', 'CC-BY-NC-4.0', 'CC-BY-NC-SA-4.0', 'CC-BY-NC-ND-4.0', 'CC0-1.0'];
export const RELEASE_TYPES = ['album', 'ep', 'single', 'compilation'];

/** "1 track", "3 tracks". */
export function plural(count, word) {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
