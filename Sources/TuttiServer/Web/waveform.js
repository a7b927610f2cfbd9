// The waveform of a track, drawn on a canvas from the peaks the server measured, with the
// part already played in the highlight colour.

export class Waveform {
  constructor(canvas, onSeek) {
    this.canvas = canvas;
    this.peaks = null;
    this.fraction = 0;
    this.previewFraction = null;
    canvas.addEventListener('click', (event) => {
      const box = canvas.getBoundingClientRect();
      if (box.width > 0) onSeek(Math.min(1, Math.max(0, (event.clientX - box.left) / box.width)));
    });
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  /** peaks: {minimums: [], maximums: []}, each −1…1; null clears the drawing. */
  setPeaks(peaks, previewFraction = null) {
    this.peaks = peaks && peaks.minimums && peaks.minimums.length ? peaks : null;
    this.previewFraction = previewFraction;
    this.fraction = 0;
    this.draw();
  }

  setProgress(fraction) {
    const next = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
    if (Math.abs(next - this.fraction) * this.canvas.width < 0.5) return;
    this.fraction = next;
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(canvas.clientHeight * ratio));
    if (canvas.width !== width || canvas.height !== height) { canvas.width = width; canvas.height = height; }
    const context = canvas.getContext('2d');
    const styles = getComputedStyle(document.documentElement);
    context.clearRect(0, 0, width, height);
    const middle = height / 2;
    if (!this.peaks) {
      context.fillStyle = styles.getPropertyValue('--wave');
      context.fillRect(0, middle - ratio / 2, width, ratio);
      return;
    }
    const { minimums, maximums } = this.peaks;
    const bins = minimums.length;
    const played = this.fraction * width;
    const unplayedColour = styles.getPropertyValue('--wave');
    const playedColour = styles.getPropertyValue('--highlight');
    for (let x = 0; x < width; x += 1) {
      // Each column shows the extremes of the bins it covers.
      const first = Math.floor((x / width) * bins);
      const last = Math.max(first + 1, Math.floor(((x + 1) / width) * bins));
      let low = 0;
      let high = 0;
      for (let bin = first; bin < last && bin < bins; bin += 1) {
        low = Math.min(low, minimums[bin]);
        high = Math.max(high, maximums[bin]);
      }
      const top = middle - high * middle;
      const bottom = middle - low * middle;
      context.fillStyle = x < played ? playedColour : unplayedColour;
      context.fillRect(x, top, 1, Math.max(ratio, bottom - top));
    }
    if (this.previewFraction !== null && this.previewFraction < 1) {
      // Where the free preview ends: past it the play counts.
      context.fillStyle = styles.getPropertyValue('--ink');
      context.fillRect(Math.round(this.previewFraction * width), 0, Math.max(1, ratio), height);
    }
  }
}
