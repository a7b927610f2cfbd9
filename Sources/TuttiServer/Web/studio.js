// The artist's forms: upload a whole release (a ZIP or audio files) and watch it process,
// make and edit a release (its fields, cover, tracks and their credits, order, publication),
// and edit the public profile.
import { api, ApiError, session, uploadFile, uploadForm } from './api.js';
import { bytes, el, LICENCES, licenceName, picture, RELEASE_TYPES, toast } from './format.js';

const POLL_MILLISECONDS = 1000;

function errorLine(id) {
  return el('p', { class: 'error', role: 'alert', id, hidden: true });
}

function showError(line, error, prefix = '') {
  line.textContent = prefix + (error instanceof ApiError ? error.message : `Something went wrong (${error.message}); try again.`);
  line.hidden = false;
}

function field(label, input, hint) {
  const hintID = hint ? `${input.id}-hint` : null;
  if (hintID) input.setAttribute('aria-describedby', hintID);
  return el('label', {}, label, input, hint ? el('span', { class: 'hint muted', id: hintID }, hint) : null);
}

// MARK: Upload a whole release

export function renderReleaseUpload(main) {
  const archive = el('input', { type: 'file', name: 'archive', id: 'release-zip', accept: '.zip,application/zip' });
  const files = el('input', { type: 'file', name: 'files', id: 'release-files', multiple: true, accept: 'audio/*,.wav,.flac,.aiff,.aif,.mp3,.ogg' });
  const cover = el('input', { type: 'file', name: 'cover', id: 'release-cover-file', accept: 'image/jpeg,image/png,image/webp' });
  const title = el('input', { type: 'text', name: 'title', id: 'release-upload-title', maxlength: 200 });
  const type = el('select', { name: 'type', id: 'release-upload-type' }, el('option', { value: '' }, 'Tell from the number of tracks'),
    RELEASE_TYPES.map((value) => el('option', { value }, value === 'ep' ? 'EP' : value)));
  const licence = el('select', { name: 'licence', id: 'release-upload-licence' }, el('option', { value: '' }, 'As the archive says, else all rights reserved'),
    LICENCES.map((value) => el('option', { value }, licenceName(value))));
  const error = errorLine('release-upload-error');
  const sending = el('progress', { id: 'release-upload-progress', max: 100, value: 0, 'aria-labelledby': 'release-sending-label' });
  const sendingText = el('span', { id: 'release-sending-label' }, 'Sending');
  const processing = el('ol', { id: 'release-processing', 'aria-label': 'Processing of each track' });
  const state = el('p', { id: 'release-upload-state', role: 'status' });
  const next = el('div', { class: 'actions', hidden: true });
  const progress = el('div', { class: 'stack', hidden: true }, sendingText, sending, processing);
  const button = el('button', { type: 'submit' }, 'Upload the release');
  const form = el('form', { class: 'stack', id: 'release-upload-form' },
    el('fieldset', {}, el('legend', {}, 'The music: a ZIP archive, or the audio files'),
      field('ZIP archive', archive, 'May hold release.json (title, type, date, licence, track order and titles) and cover.jpg, .png or .webp.'),
      field('Or audio files (WAV, FLAC, AIFF, MP3 or Ogg Vorbis)', files, 'Ordered by their tags, else by the numbers leading their names.')),
    field('Cover picture (optional)', cover, 'JPEG, PNG or WebP, up to 20 MB; square works best.'),
    el('fieldset', {}, el('legend', {}, 'About the release (optional)'),
      el('p', { class: 'hint muted' }, 'Leave these empty to use the archive’s release.json or the files’ tags.'),
      field('Title', title), field('Type', type), field('Licence', licence)),
    error, button);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const zip = archive.files[0];
    if (!zip && files.files.length === 0) {
      showError(error, new ApiError(0, { detail: 'Choose a ZIP archive or at least one audio file.' }));
      archive.focus();
      return;
    }
    if (zip && files.files.length > 0) {
      showError(error, new ApiError(0, { detail: 'Choose either a ZIP archive or audio files, not both.' }));
      return;
    }
    const body = new FormData();
    if (zip) body.append('archive', zip, zip.name);
    for (const file of files.files) body.append('files', file, file.name);
    if (cover.files[0]) body.append('cover', cover.files[0], cover.files[0].name);
    const description = {};
    if (title.value.trim()) description.title = title.value.trim();
    if (type.value) description.type = type.value;
    if (licence.value) description.licence = licence.value;
    if (Object.keys(description).length > 0) body.append('description', JSON.stringify(description));
    const size = (zip ? zip.size : [...files.files].reduce((sum, file) => sum + file.size, 0)) + (cover.files[0]?.size || 0);
    button.disabled = true;
    progress.hidden = false;
    next.hidden = true;
    processing.replaceChildren();
    state.className = '';
    state.textContent = '';
    try {
      const accepted = await uploadForm('/api/v1/release-uploads', body, (sent, total) => {
        const percent = total > 0 ? Math.floor((sent * 100) / total) : 0;
        sending.value = percent;
        sendingText.textContent = `Sending: ${bytes(sent)} of ${bytes(total)} (${percent} %)`;
      });
      sending.value = 100;
      sendingText.textContent = `Sent: ${bytes(size)}`;
      form.dataset.release = accepted.releaseID;
      if (accepted.ignored.length) toast(`Not used from the archive: ${accepted.ignored.join(', ')}`);
      const result = await watchProcessing(accepted.releaseID, processing);
      const edit = el('a', { href: `#/artist/releases/${encodeURIComponent(accepted.releaseID)}`, class: 'button', id: 'release-upload-edit' }, 'Edit and publish the release');
      next.replaceChildren(edit);
      next.hidden = false;
      if (result.status === 'ready') {
        state.className = 'good';
        state.textContent = `Every track is ready (${result.tracks.length}). The release is a draft until you publish it.`;
      } else {
        state.className = 'error';
        state.textContent = 'Some tracks failed (the reason is beside each): replace their files on the release’s page.';
      }
      edit.focus();
    } catch (failure) {
      showError(error, failure, 'The upload was refused: ');
    }
    button.disabled = false;
  });
  main.replaceChildren(el('h1', {}, 'Upload a release'),
    el('p', {}, el('a', { href: '#/artist' }, 'Back to your artist page')),
    el('section', { class: 'panel' }, form, progress, state, next));
  return 'Upload a release';
}

/** Polls a release's processing until no track is processing; shows each track's progress. */
async function watchProcessing(releaseID, list) {
  for (;;) {
    const current = await api(`/api/v1/releases/${encodeURIComponent(releaseID)}/processing`);
    list.replaceChildren(...current.tracks.map((track) => el('li', { 'data-track': track.id, 'data-status': track.status },
      el('span', { id: `processing-${track.id}` }, `${track.title}: `,
        track.status === 'failed' ? el('span', { class: 'status-failed' }, `failed: ${track.failureReason || 'no reason given'}`)
          : track.status === 'ready' ? el('span', { class: 'status-ready' }, 'ready') : `transcoding, ${track.progress} %`),
      el('progress', { max: 100, value: track.progress, 'aria-labelledby': `processing-${track.id}` }))));
    list.dataset.status = current.status;
    if (current.status !== 'processing') return current;
    await new Promise((resolve) => setTimeout(resolve, POLL_MILLISECONDS));
  }
}

// MARK: A release's fields

function releaseFields(release = {}) {
  const input = (name, attributes) => el('input', { name, id: `release-${name}`, ...attributes });
  const type = el('select', { name: 'type', id: 'release-type', required: true },
    RELEASE_TYPES.map((value) => el('option', { value, selected: release.type === value }, value === 'ep' ? 'EP' : value)));
  const licence = el('select', { name: 'licence', id: 'release-licence-choice' },
    LICENCES.map((value) => el('option', { value, selected: (release.licence || 'all-rights-reserved') === value }, licenceName(value))));
  const description = el('textarea', { name: 'description', id: 'release-description', rows: 5, maxlength: 5000 });
  description.value = release.description || '';
  const fields = {
    title: input('title', { type: 'text', required: true, maxlength: 200, value: release.title || '' }),
    type,
    releaseDate: input('releaseDate', { type: 'date', value: release.releaseDate || '' }),
    upc: input('upc', { type: 'text', inputmode: 'numeric', pattern: '[0-9]{12,13}', value: release.upc || '' }),
    licence,
    genres: input('genres', { type: 'text', value: (release.genres || []).join(', ') }),
    description,
  };
  const elements = [
    field('Title', fields.title), field('Type', type), field('Release date (optional)', fields.releaseDate),
    field('UPC or EAN (optional)', fields.upc, '12 or 13 digits; the last is the check digit.'),
    field('Licence', licence), field('Genres (optional)', fields.genres, 'Up to 5, separated by commas.'),
    field('Description (optional)', description),
  ];
  const values = () => ({
    title: fields.title.value.trim(), type: type.value, licence: licence.value, description: description.value,
    releaseDate: fields.releaseDate.value || null, upc: fields.upc.value.trim() || null,
    genres: fields.genres.value.split(',').map((genre) => genre.trim()).filter(Boolean),
  });
  return { elements, values };
}

export function renderNewRelease(main) {
  const { elements, values } = releaseFields();
  const error = errorLine('release-error');
  const form = el('form', { class: 'stack panel', id: 'release-form' }, ...elements, error, el('button', { type: 'submit' }, 'Make the release'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      const release = await api('/api/v1/releases', { method: 'POST', json: values() });
      toast(`“${release.title}” is made, as a draft.`);
      location.hash = `#/artist/releases/${encodeURIComponent(release.id)}`;
    } catch (failure) {
      showError(error, failure);
    }
  });
  main.replaceChildren(el('h1', {}, 'New release'),
    el('p', {}, 'A release starts as a draft. Add tracks by ', el('a', { href: '#/artist/upload' }, 'uploading a whole release'),
      ' or by uploading tracks one by one on ', el('a', { href: '#/artist' }, 'your artist page'), ' with this release’s title as their album.'),
    form);
  return 'New release';
}

// MARK: Editing a release

export async function renderEditRelease(main, id) {
  let release;
  try {
    release = await api(`/api/v1/releases/${encodeURIComponent(id)}`);
  } catch (error) {
    main.replaceChildren(el('h1', {}, 'Edit release'), el('p', { class: 'error' }, `The release could not be loaded: ${error.message}`));
    return 'Edit release';
  }
  const reload = () => renderEditRelease(main, id);
  // (el() skips null children; replaceChildren would write "null".)
  main.replaceChildren(...[
    el('h1', {}, `Edit “${release.title}”`),
    el('p', {}, el('a', { href: '#/artist' }, 'Back to your artist page'), ' · ',
      el('a', { href: `#/releases/${encodeURIComponent(release.id)}`, id: 'release-view' }, 'See its page')),
    publication(release, reload),
    detailsForm(release),
    coverForm(release),
    orderForm(release, reload),
    el('section', { 'aria-labelledby': 'edit-tracks-heading' },
      el('h2', { id: 'edit-tracks-heading' }, 'Tracks, credits and lyrics'),
      release.tracks.length === 0 ? el('p', { class: 'muted' }, 'No tracks yet.') : null,
      ...release.tracks.map((track) => trackForm(release, track, reload)))].filter(Boolean));
  return `Edit ${release.title}`;
}

function publication(release, reload) {
  const error = errorLine('publish-error');
  const waiting = release.tracks.filter((track) => track.status !== 'ready');
  const button = el('button', { type: 'button', id: 'release-publish', class: release.published ? 'secondary' : '' },
    release.published ? 'Withdraw (make it a draft again)' : 'Publish');
  button.addEventListener('click', async () => {
    error.hidden = true;
    try {
      await api(`/api/v1/releases/${encodeURIComponent(release.id)}/${release.published ? 'unpublish' : 'publish'}`, { method: 'POST' });
      toast(release.published ? `“${release.title}” is a draft again.` : `“${release.title}” is published.`);
      await reload();
      document.getElementById('release-publish')?.focus();
    } catch (failure) {
      showError(error, failure);
    }
  });
  return el('section', { class: 'panel', 'aria-labelledby': 'publication-heading' },
    el('h2', { id: 'publication-heading' }, 'Publication'),
    el('p', { id: 'release-state', 'data-published': String(release.published) },
      release.published ? 'Published: listeners find it in the catalog.' : 'A draft: only you can see it.'),
    waiting.length ? el('p', { class: 'muted' }, `Waiting for: ${waiting.map((track) => `${track.title} (${track.status}${track.failureReason ? `: ${track.failureReason}` : ''})`).join(', ')}`) : null,
    button, error);
}

function detailsForm(release) {
  const { elements, values } = releaseFields(release);
  const error = errorLine('release-error');
  const saved = el('p', { role: 'status', class: 'good' });
  const form = el('form', { class: 'stack', id: 'release-form' }, ...elements, error, saved, el('button', { type: 'submit' }, 'Save the details'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    saved.textContent = '';
    try {
      const changed = await api(`/api/v1/releases/${encodeURIComponent(release.id)}`, { method: 'PATCH', json: values() });
      saved.textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
      document.title = `Edit ${changed.title} · Tutti`;
    } catch (failure) {
      showError(error, failure);
    }
  });
  return el('section', { class: 'panel', 'aria-labelledby': 'details-heading' }, el('h2', { id: 'details-heading' }, 'Details'), form);
}

function coverForm(release) {
  const file = el('input', { type: 'file', name: 'file', id: 'cover-file', accept: 'image/jpeg,image/png,image/webp', required: true });
  const current = el('div', { id: 'cover-current' }, picture(release.coverSizes, { size: 300, alt: `Cover of ${release.title}` }));
  const error = errorLine('cover-error');
  const sending = el('progress', { max: 100, value: 0, hidden: true, 'aria-label': 'Sending the cover' });
  const form = el('form', { class: 'stack', id: 'cover-form' },
    field('New cover (JPEG, PNG or WebP, up to 20 MB)', file, 'Cut to a square from its centre; camera and location data are removed.'),
    sending, error, el('button', { type: 'submit' }, 'Set the cover'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    const chosen = file.files[0];
    if (!chosen) return;
    sending.hidden = false;
    try {
      const image = await uploadFile(`/api/v1/releases/${encodeURIComponent(release.id)}/cover`, chosen,
        (sent, total) => { sending.value = total > 0 ? Math.floor((sent * 100) / total) : 0; },
        { method: 'PUT', contentType: chosen.type || 'application/octet-stream' });
      current.replaceChildren(picture(image.sizes, { size: 300, alt: `Cover of ${release.title}` }));
      toast('The cover is set.');
      form.reset();
    } catch (failure) {
      showError(error, failure);
    }
    sending.hidden = true;
  });
  return el('section', { class: 'panel', 'aria-labelledby': 'cover-heading' }, el('h2', { id: 'cover-heading' }, 'Cover'), current, form);
}

/** Disc and track numbers of every track, saved together (drafts only). */
function orderForm(release, reload) {
  if (release.tracks.length < 2) return null;
  const error = errorLine('order-error');
  const rows = release.tracks.map((track) => {
    const disc = el('input', { type: 'number', min: 1, max: 99, value: track.discNumber, id: `order-disc-${track.id}`, class: 'narrow' });
    const number = el('input', { type: 'number', min: 1, max: 999, value: track.trackNumber, id: `order-number-${track.id}`, class: 'narrow' });
    return { track, disc, number, element: el('tr', {},
      el('th', { scope: 'row' }, track.title),
      el('td', {}, el('label', {}, el('span', { class: 'visually-hidden' }, `Disc of ${track.title}`), disc)),
      el('td', {}, el('label', {}, el('span', { class: 'visually-hidden' }, `Number of ${track.title}`), number))) };
  });
  const form = el('form', { id: 'order-form' },
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Track'), el('th', { scope: 'col' }, 'Disc'), el('th', { scope: 'col' }, 'Number'))),
      el('tbody', {}, rows.map((row) => row.element)))),
    error, el('button', { type: 'submit', disabled: release.published }, 'Save the order'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    try {
      await api(`/api/v1/releases/${encodeURIComponent(release.id)}/tracks`, { method: 'PUT', json: {
        tracks: rows.map((row) => ({ id: row.track.id, discNumber: Number(row.disc.value), trackNumber: Number(row.number.value) })),
      } });
      toast('The order is saved.');
      await reload();
    } catch (failure) {
      showError(error, failure);
    }
  });
  return el('section', { class: 'panel', 'aria-labelledby': 'order-heading' },
    el('h2', { id: 'order-heading' }, 'Order'),
    release.published ? el('p', { class: 'muted' }, 'Withdraw the release to change its order.') : null, form);
}

/** One track's title, ISRC, explicit flag, lyrics and credits; a failed track's file replaced. */
function trackForm(release, track, reload) {
  const prefix = `track-${track.id}`;
  const title = el('input', { type: 'text', id: `${prefix}-title`, required: true, maxlength: 200, value: track.title });
  const isrc = el('input', { type: 'text', id: `${prefix}-isrc`, value: track.isrc || '', placeholder: 'CC-XXX-YY-NNNNN' });
  const explicit = el('input', { type: 'checkbox', id: `${prefix}-explicit`, checked: track.explicit });
  const lyrics = el('textarea', { id: `${prefix}-lyrics`, rows: 3, maxlength: 20000 });
  lyrics.value = track.lyrics || '';
  const credits = el('ol', { class: 'credits', id: `${prefix}-credits` });
  const addCredit = (credit = { name: '', role: '' }) => {
    const position = credits.children.length + 1;
    const name = el('input', { type: 'text', class: 'credit-name', maxlength: 200, value: credit.name, required: true });
    const role = el('input', { type: 'text', class: 'credit-role', maxlength: 100, value: credit.role, required: true });
    const item = el('li', {},
      el('label', {}, `Name ${position}`, name), el('label', {}, `Role ${position}`, role),
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Remove credit ${position} of ${track.title}`, onclick: () => { item.remove(); add.focus(); } }, 'Remove'));
    credits.append(item);
    return name;
  };
  for (const credit of track.credits || []) addCredit(credit);
  const add = el('button', { type: 'button', class: 'secondary', id: `${prefix}-add-credit`, onclick: () => addCredit().focus() }, 'Add a credit');
  const error = errorLine(`${prefix}-error`);
  const saved = el('p', { role: 'status', class: 'good' });
  const form = el('form', { class: 'stack track-form', id: `${prefix}-form`, 'data-track': track.id },
    field('Title', title), field('ISRC (optional)', isrc, 'CC-XXX-YY-NNNNN; dashes optional.'),
    el('label', { class: 'check' }, explicit, 'Explicit lyrics'),
    field('Lyrics (optional)', lyrics),
    el('fieldset', {}, el('legend', {}, 'Credits: who played, wrote or produced it'), credits, add),
    error, saved, el('button', { type: 'submit' }, `Save “${track.title}”`));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    saved.textContent = '';
    const list = [...credits.children].map((item) => ({
      name: item.querySelector('.credit-name').value.trim(), role: item.querySelector('.credit-role').value.trim(),
    })).filter((credit) => credit.name || credit.role);
    try {
      await api(`/api/v1/tracks/${encodeURIComponent(track.id)}`, { method: 'PATCH', json: {
        title: title.value.trim(), isrc: isrc.value.trim() || null, explicit: explicit.checked, lyrics: lyrics.value, credits: list,
      } });
      saved.textContent = `Saved at ${new Date().toLocaleTimeString()}.`;
    } catch (failure) {
      showError(error, failure);
    }
  });
  const parts = [el('h3', {}, `${track.discNumber}-${track.trackNumber}. ${track.title}`,
    el('span', { class: track.status === 'failed' ? 'status-failed' : track.status === 'ready' ? 'status-ready' : 'muted' }, ` (${track.status})`)), form];
  if (track.status === 'failed') parts.push(replaceForm(release, track, reload));
  return el('div', { class: 'panel', 'data-track': track.id }, ...parts);
}

function replaceForm(release, track, reload) {
  const file = el('input', { type: 'file', id: `replace-${track.id}`, accept: 'audio/*,.wav,.flac,.aiff,.aif,.mp3,.ogg', required: true });
  const error = errorLine(`replace-${track.id}-error`);
  const form = el('form', { class: 'stack' },
    el('p', { class: 'status-failed' }, `It failed: ${track.failureReason || 'no reason given'}`),
    field('A new file for this track', file), error, el('button', { type: 'submit' }, 'Replace the file'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!file.files[0]) return;
    error.hidden = true;
    try {
      await uploadFile(`/api/v1/releases/${encodeURIComponent(release.id)}/tracks/${encodeURIComponent(track.id)}/audio`, file.files[0], null, { method: 'PUT' });
      toast('The new file is being transcoded.');
      await reload();
    } catch (failure) {
      showError(error, failure);
    }
  });
  return form;
}

// MARK: Profile

export async function renderEditProfile(main) {
  const user = session.get().user;
  let artist;
  try {
    artist = await api(`/api/v1/artists/${encodeURIComponent(user.id)}`);
  } catch (error) {
    main.replaceChildren(el('h1', {}, 'Your profile'), el('p', { class: 'error' }, `Your profile could not be loaded: ${error.message}`));
    return 'Your profile';
  }
  const displayName = el('input', { type: 'text', id: 'profile-name', required: true, maxlength: 100, value: artist.displayName, autocomplete: 'nickname' });
  const location = el('input', { type: 'text', id: 'profile-location', maxlength: 100, value: artist.location || '' });
  const bio = el('textarea', { id: 'profile-bio', rows: 6, maxlength: 5000 });
  bio.value = artist.bio || '';
  const links = el('ol', { class: 'links', id: 'profile-links' });
  const addLink = (link = { label: '', url: '' }) => {
    const position = links.children.length + 1;
    const label = el('input', { type: 'text', class: 'link-label', maxlength: 100, value: link.label });
    const url = el('input', { type: 'url', class: 'link-url', maxlength: 2000, value: link.url, required: true, pattern: 'https:.*' });
    const item = el('li', {}, el('label', {}, `Label ${position}`, label), el('label', {}, `Address ${position} (https only)`, url),
      el('button', { type: 'button', class: 'secondary', 'aria-label': `Remove link ${position}`, onclick: () => { item.remove(); add.focus(); } }, 'Remove'));
    links.append(item);
    return label;
  };
  for (const link of artist.links || []) addLink(link);
  const add = el('button', { type: 'button', class: 'secondary', id: 'profile-add-link', onclick: () => {
    if (links.children.length >= 10) return toast('A profile has at most 10 links.');
    addLink().focus();
  } }, 'Add a link');
  const error = errorLine('profile-error');
  const saved = el('p', { role: 'status', class: 'good', id: 'profile-saved' });
  const form = el('form', { class: 'stack', id: 'profile-form' },
    field('Display name', displayName), field('Location (optional)', location), field('Bio (optional)', bio),
    el('fieldset', {}, el('legend', {}, 'Links'), links, add),
    error, saved, el('button', { type: 'submit' }, 'Save the profile'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    saved.textContent = '';
    try {
      const changed = await api(`/api/v1/artists/${encodeURIComponent(user.id)}`, { method: 'PATCH', json: {
        displayName: displayName.value.trim(), location: location.value.trim(), bio: bio.value,
        links: [...links.children].map((item) => ({ label: item.querySelector('.link-label').value.trim(), url: item.querySelector('.link-url').value.trim() })),
      } });
      saved.textContent = `Saved: your public page shows “${changed.displayName}”.`;
    } catch (failure) {
      showError(error, failure);
    }
  });

  const avatar = el('input', { type: 'file', id: 'avatar-file', accept: 'image/jpeg,image/png,image/webp', required: true });
  const current = el('div', { id: 'avatar-current' }, picture(artist.avatarSizes, { size: 200, alt: `Picture of ${artist.displayName}`, className: 'avatar' }));
  const avatarError = errorLine('avatar-error');
  const avatarForm = el('form', { class: 'stack', id: 'avatar-form' },
    field('New picture (JPEG, PNG or WebP, up to 20 MB)', avatar, 'Cut to a square; camera and location data are removed.'),
    avatarError, el('button', { type: 'submit' }, 'Set the picture'));
  avatarForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    avatarError.hidden = true;
    const chosen = avatar.files[0];
    if (!chosen) return;
    try {
      const image = await uploadFile(`/api/v1/artists/${encodeURIComponent(user.id)}/avatar`, chosen, null,
        { method: 'PUT', contentType: chosen.type || 'application/octet-stream' });
      current.replaceChildren(picture(image.sizes, { size: 200, alt: `Picture of ${artist.displayName}`, className: 'avatar' }));
      toast('Your picture is set.');
      avatarForm.reset();
    } catch (failure) {
      showError(avatarError, failure);
    }
  });
  main.replaceChildren(el('h1', {}, 'Your profile'),
    el('p', {}, el('a', { href: `#/artists/${encodeURIComponent(user.id)}` }, 'See your public page')),
    el('section', { class: 'panel', 'aria-labelledby': 'avatar-heading' }, el('h2', { id: 'avatar-heading' }, 'Picture'), current, avatarForm),
    el('section', { class: 'panel', 'aria-labelledby': 'profile-heading' }, el('h2', { id: 'profile-heading' }, 'About you'), form));
  return 'Your profile';
}
