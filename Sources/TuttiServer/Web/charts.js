// Small bar charts on a canvas. Each chart has a text alternative (aria-label) and the
// same numbers are in the statement table beside it.

/** Draws `values` (integers, minor units) as bars labelled with `labels`. */
export function barChart(canvas, labels, values, formatValue) {
  const ratio = window.devicePixelRatio || 1;
  const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
  const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  const styles = getComputedStyle(document.documentElement);
  context.clearRect(0, 0, width, height);
  context.font = `${12 * ratio}px system-ui, sans-serif`;
  context.fillStyle = styles.getPropertyValue('--muted');
  if (values.length === 0) {
    context.fillText('No counted plays yet.', 12 * ratio, height / 2);
    return;
  }
  const top = 22 * ratio;
  const bottom = height - 22 * ratio;
  const left = 8 * ratio;
  const slot = (width - 2 * left) / values.length;
  const largest = values.reduce((a, b) => (b > a ? b : a), 1);
  values.forEach((value, index) => {
    const barHeight = ((bottom - top) * Number(value)) / Number(largest);
    const x = left + index * slot + slot * 0.15;
    context.fillStyle = styles.getPropertyValue('--accent');
    context.fillRect(x, bottom - barHeight, slot * 0.7, barHeight);
    context.fillStyle = styles.getPropertyValue('--ink');
    context.textAlign = 'center';
    const middle = x + slot * 0.35;
    context.fillText(formatValue(value), middle, bottom - barHeight - 6 * ratio, slot);
    context.fillText(labels[index], middle, height - 6 * ratio, slot);
  });
  canvas.setAttribute('aria-label', labels.map((label, index) => `${label}: ${formatValue(values[index])}`).join('; '));
}
