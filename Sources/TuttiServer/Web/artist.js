// The artist's page: upload with progress, the state of every track, and earnings.
import { api, download, session, uploadFile } from './api.js';
import { bytes, credits, dateTime, duration, el, picture, toast } from './format.js';
import { barChart } from './charts.js';
import { pendingSheetsPanel } from './splits.js';

const POLL_MILLISECONDS = 1000;

export function renderArtist(main) {
  const user = session.get().user;
  const tracks = el('tbody');
  const earnings = el('section', { 'aria-labelledby': 'earnings-heading' });
  const releases = el('tbody');
  const pending = pendingSheetsPanel({ onlyWhenNamed: true });
  main.replaceChildren(
    el('h1', {}, `Artist: ${user.displayName}`),
    el('nav', { 'aria-label': 'Artist tools', class: 'tools' }, el('ul', {},
      el('li', {}, el('a', { href: '#/artist/upload', id: 'go-release-upload' }, 'Upload a release')),
      el('li', {}, el('a', { href: '#/artist/releases/new' }, 'New release')),
      el('li', {}, el('a', { href: '#/artist/profile' }, 'Edit your profile')),
      el('li', {}, el('a', { href: `#/artists/${encodeURIComponent(user.id)}` }, 'Your public page')))),
    pending.element,
    el('h2', {}, 'Your releases'),
    el('div', { class: 'table-wrap' }, el('table', { id: 'artist-releases-table' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Cover')), el('th', { scope: 'col' }, 'Title'),
        el('th', { scope: 'col' }, 'State'), el('th', { scope: 'col', class: 'number' }, 'Tracks'), el('th', { scope: 'col' }, el('span', { class: 'visually-hidden' }, 'Actions')))),
      releases)),
    uploadPanel(() => loadTracks(user, tracks)),
    el('h2', {}, 'Your tracks'),
    el('div', { class: 'table-wrap' }, el('table', { id: 'artist-tracks' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Title'), el('th', { scope: 'col' }, 'Status'),
        el('th', { scope: 'col' }, 'Length'), el('th', { scope: 'col' }, 'Listeners see it'))),
      tracks)),
    earnings);
  loadTracks(user, tracks);
  loadReleases(user, releases);
  loadEarnings(earnings);
  pending.load().catch(() => {});
}

async function loadReleases(user, body) {
  try {
    const page = await api(`/api/v1/releases?artist=${encodeURIComponent(user.id)}&limit=100`);
    const rows = page.items.map((release) => el('tr', { 'data-release': release.id },
      el('td', {}, picture(release.coverSizes, { size: 48, sizesAttribute: '48px', alt: '', className: 'thumb' })),
      el('td', {}, el('a', { href: `#/releases/${encodeURIComponent(release.id)}` }, release.title), el('span', { class: 'muted' }, ` · ${release.type}`)),
      el('td', {}, release.published ? el('span', { class: 'status-ready' }, 'published') : 'draft'),
      el('td', { class: 'number' }, String(release.trackCount)),
      el('td', {}, el('a', { href: `#/artist/releases/${encodeURIComponent(release.id)}`, 'aria-label': `Edit ${release.title}` }, 'Edit'))));
    body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No releases yet: upload one.'))]));
  } catch (error) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 5, class: 'error' }, `Your releases could not be loaded: ${error.message}`)));
  }
}

// MARK: Upload

function uploadPanel(onChange) {
  const file = el('input', { type: 'file', name: 'file', id: 'upload-file', accept: 'audio/*,.wav,.flac,.aiff,.aif,.mp3,.ogg', required: true });
  const title = el('input', { type: 'text', name: 'title', id: 'upload-title', required: true });
  const album = el('input', { type: 'text', name: 'album', id: 'upload-album' });
  const sending = el('progress', { id: 'upload-progress', max: 100, value: 0, 'aria-labelledby': 'upload-sending-label' });
  const transcoding = el('progress', { id: 'transcode-progress', max: 100, value: 0, 'aria-labelledby': 'upload-transcoding-label' });
  const sendingText = el('span', { id: 'upload-sending-label' }, 'Sending');
  const transcodingText = el('span', { id: 'upload-transcoding-label' }, 'Transcoding');
  const state = el('p', { id: 'upload-state', role: 'status' });
  const progress = el('div', { class: 'stack', hidden: true }, sendingText, sending, transcodingText, transcoding);
  const button = el('button', { type: 'submit' }, 'Upload');
  const form = el('form', { class: 'stack', id: 'upload-form' },
    el('label', {}, 'Audio file (WAV, FLAC, AIFF, MP3 or Ogg Vorbis)', file),
    el('label', {}, 'Title', title),
    el('label', {}, 'Album (optional)', album),
    button);
  file.addEventListener('change', () => {
    if (!title.value && file.files[0]) title.value = file.files[0].name.replace(/\.[^.]+$/, '');
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return;
    button.disabled = true;
    progress.hidden = false;
    sending.value = 0;
    transcoding.value = 0;
    transcodingText.textContent = 'Transcoding: waiting for the upload';
    state.className = '';
    state.textContent = '';
    const parameters = new URLSearchParams({ title: title.value });
    if (album.value.trim()) parameters.set('album', album.value.trim());
    try {
      const accepted = await uploadFile(`/api/v1/tracks?${parameters}`, chosen, (sent, total) => {
        const percent = total > 0 ? Math.floor((sent * 100) / total) : 0;
        sending.value = percent;
        sendingText.textContent = `Sending: ${bytes(sent)} of ${bytes(total)} (${percent} %)`;
      });
      sending.value = 100;
      sendingText.textContent = `Sent: ${bytes(chosen.size)}`;
      onChange();
      const track = await watch(accepted.statusURL, (current) => {
        transcoding.value = current.progress;
        transcodingText.textContent = `Transcoding: ${current.progress} %`;
      });
      if (track.status === 'ready') {
        transcoding.value = 100;
        transcodingText.textContent = 'Transcoded';
        state.className = 'good';
        state.textContent = `“${track.title}” is ready. Publish it below so listeners can find it.`;
        form.reset();
      } else {
        state.className = 'error';
        state.textContent = `“${track.title}” failed: ${track.failureReason || 'no reason given'}`;
      }
    } catch (error) {
      state.className = 'error';
      state.textContent = `The upload failed: ${error.message}`;
    }
    button.disabled = false;
    onChange();
  });
  return el('section', { class: 'panel', 'aria-labelledby': 'upload-heading' },
    el('h2', { id: 'upload-heading' }, 'Upload a track'), form, progress, state);
}

/** Polls a track until it leaves `processing`, reporting each state on the way. */
async function watch(statusURL, onProgress) {
  for (;;) {
    const track = await api(statusURL);
    if (track.status !== 'processing') return track;
    onProgress(track);
    await new Promise((resolve) => setTimeout(resolve, POLL_MILLISECONDS));
  }
}

// MARK: Tracks

async function loadTracks(user, body) {
  try {
    const artist = await api(`/api/v1/artists/${encodeURIComponent(user.id)}`);
    const rows = (artist.tracks || []).map((track) => trackRow(track, () => loadTracks(user, body)));
    body.replaceChildren(...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No tracks yet: upload one above.'))]));
  } catch (error) {
    body.replaceChildren(el('tr', {}, el('td', { colspan: 4, class: 'error' }, `Your tracks could not be loaded: ${error.message}`)));
  }
}

function trackRow(track, reload) {
  const status = {
    ready: el('span', { class: 'status-ready' }, 'ready'),
    processing: el('span', {}, `transcoding, ${track.progress} %`),
    failed: el('span', { class: 'status-failed' }, `failed: ${track.failureReason || 'no reason given'}`),
  }[track.status] || track.status;
  const change = (changes, message) => async () => {
    try {
      await api(`/api/v1/tracks/${encodeURIComponent(track.id)}`, { method: 'PATCH', json: changes });
      toast(message);
      reload();
    } catch (error) {
      toast(error.message);
    }
  };
  const visibility = el('td', {});
  if (track.status === 'ready') {
    visibility.append(
      el('button', { type: 'button', class: track.published ? 'secondary' : '', 'aria-label': `${track.published ? 'Unpublish' : 'Publish'} ${track.title}`,
        onclick: change({ published: !track.published }, track.published ? `“${track.title}” is hidden.` : `“${track.title}” is published.`) },
      track.published ? 'Unpublish' : 'Publish'), ' ',
      el('button', { type: 'button', class: 'secondary', 'aria-label': `${track.free ? 'Charge for' : 'Make free'} ${track.title}`,
        onclick: change({ free: !track.free }, track.free ? `“${track.title}” is metered.` : `“${track.title}” is free.`) },
      track.free ? 'Charge for plays' : 'Make free'));
  }
  return el('tr', { 'data-track': track.id, 'data-status': track.status },
    el('td', {}, track.title, track.album ? el('span', { class: 'muted' }, ` · ${track.album}`) : null),
    el('td', {}, status),
    el('td', {}, track.durationSeconds ? duration(track.durationSeconds) : ''),
    visibility);
}

// MARK: Earnings

async function loadEarnings(section) {
  section.replaceChildren(el('h2', { id: 'earnings-heading' }, 'Earnings'));
  try {
    const [summary, statement] = await Promise.all([api('/api/v1/earnings'), api('/api/v1/earnings/statement')]);
    const byDay = sum(statement.rows, (row) => row.playedAt.slice(0, 10));
    const byTrack = sum(statement.rows, (row) => row.trackTitle || row.trackID);
    const dayChart = el('canvas', { class: 'chart', id: 'chart-days', role: 'img' });
    const trackChart = el('canvas', { class: 'chart', id: 'chart-tracks', role: 'img' });
    const exportButton = el('button', { type: 'button', class: 'secondary', id: 'statement-csv',
      onclick: () => download('/api/v1/earnings/statement?format=csv', 'tutti-statement.csv').catch((error) => toast(error.message)) },
    'Export CSV');
    section.append(
      el('div', { class: 'panel' },
        el('p', {}, 'Unpaid: ', el('strong', { id: 'earnings-balance' }, credits(summary.balance))),
        el('p', { class: 'muted' }, `Earned in all: ${credits(summary.earned)} · paid out: ${credits(summary.paidOut)}`)),
      el('div', { class: 'charts' },
        el('figure', {}, el('figcaption', {}, 'Your share per day'), dayChart),
        el('figure', {}, el('figcaption', {}, 'Your share per track'), trackChart)),
      el('p', { class: 'muted', id: 'earnings-splits-note' }, 'Unpaid and earned count your parts under split sheets too; the statement below lists the plays of your own tracks that no sheet divides. ',
        el('a', { href: '#/splits' }, 'Your part of every divided play, with its CSV, is on the Splits page.')),
      el('h3', {}, 'Statement'), exportButton,
      statementTable(statement));
    const draw = () => {
      barChart(dayChart, [...byDay.keys()], [...byDay.values()], (units) => credits(units, { suffix: false }));
      barChart(trackChart, [...byTrack.keys()], [...byTrack.values()], (units) => credits(units, { suffix: false }));
    };
    draw();
    new ResizeObserver(draw).observe(dayChart);
  } catch (error) {
    section.append(el('p', { class: 'error' }, `Earnings could not be loaded: ${error.message}`));
  }
}

/** The artist's part summed per key, in first-seen order (integers: exact below 2^53 units). */
function sum(rows, key) {
  const totals = new Map();
  for (const row of [...rows].sort((a, b) => a.playedAt.localeCompare(b.playedAt))) {
    totals.set(key(row), (totals.get(key(row)) || 0) + row.artistPart);
  }
  return totals;
}

function statementTable(statement) {
  const number = (units) => el('td', { class: 'number' }, credits(units, { suffix: false }));
  const rows = statement.rows.map((row) => el('tr', {},
    el('td', {}, dateTime(row.playedAt)), el('td', {}, row.trackTitle || row.trackID),
    number(row.price), number(row.artistPart), number(row.cooperativePart), el('td', { class: 'number' }, String(row.pricingVersion))));
  const totals = statement.totals;
  return el('div', { class: 'table-wrap' }, el('table', { id: 'statement' },
    el('caption', { class: 'visually-hidden' }, 'Every counted play of your tracks, in credits'),
    el('thead', {}, el('tr', {}, ...['Played', 'Track'].map((name) => el('th', { scope: 'col' }, name)),
      ...['Price', 'Your part', 'Cooperative', 'Pricing'].map((name) => el('th', { scope: 'col', class: 'number' }, name)))),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: 6, class: 'muted' }, 'No counted plays yet.'))),
    el('tfoot', {}, el('tr', {}, el('th', { scope: 'row' }, 'Total'), el('td', {}, `${totals.plays} plays`),
      number(totals.price), number(totals.artistPart), number(totals.cooperativePart), el('td', {})))));
}
