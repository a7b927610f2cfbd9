// The player: a queue of tracks, each played in a play session the server meters.
// Loudness levelling goes through Web Audio: a GainNode can raise a quiet track as well as
// lower a loud one, where `audio.volume` can only lower (it stops at 1). The volume slider
// stays on `audio.volume`. If Web Audio is unavailable, levelling falls back to lowering
// `audio.volume` only.
import { api, session, ApiError } from './api.js';
import { credits, duration, el, toast } from './format.js';
import { Waveform } from './waveform.js';

/** R128_TRACK_GAIN brings a track to −23 LUFS; the player aims 5 dB louder (−18 LUFS)... */
const REFERENCE_OFFSET_DB = 5;
/** ...but never lifts a track's true peak above −1 dBTP, so levelling cannot clip. */
const PEAK_CEILING_DBTP = -1;
const POLL_MILLISECONDS = 2000;
const SEEK_STEP = 5;

export class Player {
  constructor() {
    const byId = (id) => document.getElementById(id);
    this.section = byId('player');
    this.audio = byId('audio');
    this.titleText = byId('now-title');
    this.artistText = byId('now-artist');
    this.priceText = byId('now-price');
    this.noticeText = byId('now-notice');
    this.playButton = byId('play');
    this.seek = byId('seek');
    this.timeText = byId('time');
    this.volume = byId('volume');
    this.level = byId('level');
    this.queueList = byId('queue');
    this.queueCount = byId('queue-count');
    this.waveform = new Waveform(byId('waveform'), (fraction) => this.seekTo(fraction * this.length()));
    this.queue = [];
    this.index = -1;
    this.track = null;
    this.play = null;
    this.pollTimer = null;
    this.graph = null;
    this.seeking = false;
    /** Where a paused, uncounted metered play stopped, its stream released (see releaseStream). */
    this.resumeAt = null;
    this.wire(byId);
  }

  wire(byId) {
    const audio = this.audio;
    this.playButton.addEventListener('click', () => (audio.paused ? this.resume() : audio.pause()));
    byId('previous').addEventListener('click', () => this.start(this.index - 1));
    byId('next').addEventListener('click', () => this.start(this.index + 1));
    this.seek.addEventListener('input', () => { this.seeking = true; this.showTime(Number(this.seek.value)); });
    this.seek.addEventListener('change', () => { this.seeking = false; this.seekTo(Number(this.seek.value)); });
    this.volume.addEventListener('input', () => this.applyGain());
    this.level.addEventListener('change', () => this.applyGain());
    audio.addEventListener('play', () => this.showPlaying(true));
    audio.addEventListener('pause', () => { this.showPlaying(false); this.releaseStream(); });
    // Leaving the page (or a page kept in the back-forward cache) must not keep a metered stream open.
    window.addEventListener('pagehide', () => { audio.pause(); this.releaseStream(); });
    audio.addEventListener('timeupdate', () => this.progress());
    audio.addEventListener('error', () => this.explainStop());
    audio.addEventListener('ended', () => {
      if (this.length() - audio.currentTime > 2) this.explainStop();
      else if (this.index + 1 < this.queue.length) this.start(this.index + 1);
    });
    document.addEventListener('keydown', (event) => this.key(event));
    window.addEventListener('tutti:session', () => { if (!session.get()) this.reset(); });
  }

  /** Space or K plays and pauses, the arrows seek, N and P change track, anywhere but in a field. */
  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey || !this.track) return;
    const target = event.target;
    if (target instanceof HTMLElement && target.closest('input, textarea, select, button, a, summary')) return;
    const keys = {
      ' ': () => (this.audio.paused ? this.resume() : this.audio.pause()),
      k: () => (this.audio.paused ? this.resume() : this.audio.pause()),
      ArrowLeft: () => this.seekTo(this.audio.currentTime - SEEK_STEP),
      ArrowRight: () => this.seekTo(this.audio.currentTime + SEEK_STEP),
      n: () => this.start(this.index + 1),
      p: () => this.start(this.index - 1),
    };
    const action = keys[event.key];
    if (action) { event.preventDefault(); action(); }
  }

  // MARK: Queue

  enqueue(track) {
    this.queue.push(track);
    this.renderQueue();
    this.section.hidden = false;
    if (this.index < 0) this.start(this.queue.length - 1, { autoplay: false });
    else toast(`“${track.title}” is in the queue.`);
  }

  playNow(track) {
    this.queue.splice(this.index + 1, 0, track);
    this.start(this.index + 1);
  }

  async start(index, { autoplay = true } = {}) {
    if (index < 0 || index >= this.queue.length) return;
    this.index = index;
    this.renderQueue();
    await this.load(this.queue[index], autoplay);
  }

  renderQueue() {
    this.queueCount.textContent = String(this.queue.length);
    this.queueList.replaceChildren(...this.queue.map((track, position) => el('li', { 'aria-current': position === this.index ? 'true' : 'false' },
      el('button', { type: 'button', class: 'link', onclick: () => this.start(position) }, `${track.title} — ${track.artist.name}`), ' ',
      el('button', { type: 'button', class: 'link', 'aria-label': `Remove ${track.title} from the queue`, onclick: () => this.remove(position) }, 'remove'))));
  }

  remove(position) {
    if (position === this.index) return toast('That track is playing; skip it first.');
    this.queue.splice(position, 1);
    if (position < this.index) this.index -= 1;
    this.renderQueue();
  }

  reset() {
    this.audio.pause();
    this.resumeAt = null;
    this.audio.removeAttribute('src');
    this.stopPolling();
    this.queue = [];
    this.index = -1;
    this.track = null;
    this.play = null;
    this.section.hidden = true;
  }

  // MARK: Loading and playing

  async load(summary, autoplay) {
    this.stopPolling();
    this.notice(null);
    this.audio.pause();
    this.section.hidden = false;
    this.section.dataset.counted = 'false';
    this.resumeAt = null;
    this.titleText.textContent = summary.title;
    this.artistText.textContent = `by ${summary.artist.name}`;
    this.priceText.textContent = 'Opening…';
    try {
      const [track, play] = await Promise.all([
        api(`/api/v1/tracks/${encodeURIComponent(summary.id)}`),
        api(`/api/v1/tracks/${encodeURIComponent(summary.id)}/plays`, { method: 'POST' }),
      ]);
      this.track = track;
      this.play = play;
      this.section.dataset.play = play.id;
    } catch (error) {
      this.priceText.textContent = '';
      this.notice(`This track cannot be played now: ${error.message}`);
      return;
    }
    const length = this.length();
    this.seek.max = String(Math.floor(length));
    this.seek.value = '0';
    this.showTime(0);
    this.waveform.setPeaks(this.track.peaks, this.isMetered() && length > 0 ? this.play.previewSeconds / length : null);
    this.describeAccess();
    this.audio.src = this.play.audio.standard;
    this.applyGain();
    if (autoplay) await this.resume();
  }

  async resume() {
    if (!this.track) return;
    if (this.resumeAt !== null) {
      this.audio.src = this.play.audio.standard;
      this.audio.currentTime = this.resumeAt;
      this.resumeAt = null;
    } else if (this.audio.error) {
      this.audio.load();
    }
    this.ensureGraph();
    // Not awaited: an audio device slow to open must not hold the stream back.
    if (this.graph) this.graph.context.resume().catch(() => {});
    try {
      await this.audio.play();
    } catch (error) {
      if (error.name !== 'AbortError') this.notice(`The browser would not start playback: ${error.message}`);
    }
    if (this.isMetered() && session.get()) this.startPolling();
  }

  seekTo(seconds) {
    if (!this.track) return;
    const target = Math.min(Math.max(0, seconds), Math.max(0, this.length() - 0.25));
    if (this.resumeAt !== null) this.resumeAt = target;
    else this.audio.currentTime = target;
    this.progress();
  }

  /**
   * A paused player keeps its connection, and the server cannot tell it from one that is
   * listening: 45 s after the first audio it would count the play. So pausing an uncounted
   * metered play drops the stream; play opens it again where it stopped.
   */
  releaseStream() {
    if (!this.isMetered() || this.section.dataset.counted === 'true' || !this.audio.getAttribute('src') || this.audio.ended) return;
    this.resumeAt = this.audio.currentTime;
    this.audio.removeAttribute('src');
    this.audio.load();
    this.stopPolling();
  }

  length() {
    const known = this.track && this.track.durationSeconds;
    if (known) return known;
    return Number.isFinite(this.audio.duration) ? this.audio.duration : 0;
  }

  isMetered() { return this.play && this.play.access === 'metered'; }

  showPlaying(playing) {
    // Words rather than symbols: every system has a font for them, and they read the same aloud.
    this.playButton.textContent = playing ? 'Pause' : 'Play';
    this.section.dataset.state = playing ? 'playing' : 'paused';
  }

  progress() {
    const time = this.resumeAt ?? this.audio.currentTime;
    if (!this.seeking) {
      this.seek.value = String(Math.floor(time));
      this.showTime(time);
    }
    const length = this.length();
    this.waveform.setProgress(length > 0 ? time / length : 0);
  }

  showTime(time) {
    this.timeText.textContent = `${duration(time)} / ${duration(this.length())}`;
    this.seek.setAttribute('aria-valuetext', `${duration(time)} of ${duration(this.length())}`);
  }

  // MARK: Loudness

  ensureGraph() {
    if (this.graph || !window.AudioContext) return;
    try {
      const context = new AudioContext();
      const showState = () => { this.section.dataset.audioContext = context.state; };
      context.addEventListener('statechange', showState);
      showState();
      const gain = context.createGain();
      context.createMediaElementSource(this.audio).connect(gain).connect(context.destination);
      this.graph = { context, gain };
      this.applyGain();
    } catch {
      this.graph = null;
    }
  }

  /** The gain that levels this track, in dB (0 with levelling off or no measurement). */
  levellingGain() {
    const loudness = this.track && this.track.loudness;
    if (!this.level.checked || !loudness || !Number.isFinite(loudness.trackGainDB)) return 0;
    let gain = loudness.trackGainDB + REFERENCE_OFFSET_DB;
    if (Number.isFinite(loudness.truePeakDBTP)) gain = Math.min(gain, PEAK_CEILING_DBTP - loudness.truePeakDBTP);
    return gain;
  }

  applyGain() {
    const gainDB = this.levellingGain();
    const linear = 10 ** (gainDB / 20);
    const volume = Number(this.volume.value);
    this.section.dataset.gainDb = gainDB.toFixed(2);
    if (this.graph) {
      this.graph.gain.gain.value = linear;
      this.audio.volume = volume;
    } else {
      this.audio.volume = Math.min(1, volume * Math.min(1, linear));
    }
  }

  // MARK: What the play costs

  describeAccess() {
    const play = this.play;
    const texts = {
      free: 'A free track: it streams without charge.',
      own: 'Your own track: never charged.',
      owned: 'You own this track: streaming is free, and the original is yours to download under My tracks.',
      admin: 'Admin: not charged.',
    };
    if (!this.isMetered()) { this.priceText.textContent = texts[play.access] || ''; return; }
    if (!session.get()) {
      this.priceText.textContent = `Preview: the first ${play.previewSeconds} s. Log in to hear whole tracks.`;
      return;
    }
    this.priceText.textContent = `This play costs ${credits(play.nextPrice)}, counted after ${play.previewSeconds} s of listening; `
      + `${play.playsRemainingToOwn} more counted play${play.playsRemainingToOwn === 1 ? '' : 's'} until you own it. `
      + `Balance: ${credits(play.balance)}.`;
    if (play.balance < play.nextPrice) {
      this.notice(`Your wallet holds ${credits(play.balance)} and this play costs ${credits(play.nextPrice)}: `
        + `you will hear the ${play.previewSeconds} s preview only. Top up your wallet to hear the rest.`);
    }
  }

  startPolling() {
    if (this.pollTimer || this.section.dataset.counted === 'true') return;
    const play = this.play;
    this.pollTimer = setInterval(async () => {
      if (this.play !== play) return this.stopPolling();
      try {
        const status = await api(`/api/v1/plays/${encodeURIComponent(play.id)}`);
        if (status.counted) await this.counted(status);
      } catch {
        // Try again at the next tick.
      }
    }, POLL_MILLISECONDS);
  }

  stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  async counted(status) {
    this.stopPolling();
    this.section.dataset.counted = 'true';
    let next = '';
    try {
      const ownership = await api(`/api/v1/tracks/${encodeURIComponent(status.trackID)}/ownership`);
      next = ownership.owned
        ? ' You own this track now.'
        : ` Next play: ${credits(ownership.nextPrice)}; ${ownership.playsRemainingToOwn} more until you own it.`;
    } catch { /* the charge itself is what matters */ }
    this.priceText.textContent = `This play was counted: ${credits(status.price)} charged.${next}`;
    window.dispatchEvent(new Event('tutti:wallet'));
  }

  /** Playback stopped before the end: say why (most often, a preview the wallet cannot extend). */
  async explainStop() {
    if (!this.play) return;
    if (!this.isMetered() || this.section.dataset.counted === 'true') {
      this.notice('Playback stopped: the connection to the server was lost. Press play to try again.');
      return;
    }
    if (!session.get()) {
      this.notice(`The ${this.play.previewSeconds} s preview has ended. Log in and top up your wallet to hear the whole track.`);
      return;
    }
    try {
      const [status, ownership, wallet] = await Promise.all([
        api(`/api/v1/plays/${encodeURIComponent(this.play.id)}`),
        api(`/api/v1/tracks/${encodeURIComponent(this.play.trackID)}/ownership`),
        api('/api/v1/wallet'),
      ]);
      if (status.counted) return this.counted(status);
      if (wallet.balance < ownership.nextPrice) {
        this.notice(`The ${this.play.previewSeconds} s preview has ended: this play costs ${credits(ownership.nextPrice)} `
          + `and your wallet holds ${credits(wallet.balance)}. Top up your wallet to hear the rest.`);
      } else {
        this.notice('Playback stopped before the play was counted; nothing was charged. Press play to try again.');
      }
    } catch (error) {
      this.notice(`Playback stopped: ${error instanceof ApiError ? error.message : 'the server could not be reached'}.`);
    }
  }

  notice(text) {
    this.noticeText.hidden = !text;
    this.noticeText.textContent = text || '';
  }
}
