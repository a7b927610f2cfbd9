// The embeddable player: plays a release's or a track's preview for anyone, and the whole
// track for a signed-in listener, through the same play sessions (and so the same metering)
// as the main player. Framed by other sites; talks only to this origin.
import { api, ApiError } from './api.js';

const audio = document.getElementById('embed-audio');
const status = document.getElementById('embed-status');

async function play(trackID, title) {
  try {
    const session = await api(`/api/v1/tracks/${encodeURIComponent(trackID)}/plays`, { method: 'POST' });
    audio.src = session.audio.standard;
    status.textContent = session.access === 'metered' && !session.balance
      ? `Playing ${title}: the ${session.previewSeconds} s preview. Sign in on Tutti to hear it all.`
      : `Playing ${title}.`;
    await audio.play();
  } catch (error) {
    status.textContent = error instanceof ApiError ? error.message : `${title} could not be played.`;
  }
}

for (const button of document.querySelectorAll('#embed-tracks button[data-track]')) {
  button.addEventListener('click', () => play(button.dataset.track, button.querySelector('span').textContent));
}
audio.addEventListener('error', () => { status.textContent = 'The stream stopped (the end of the preview, or the connection).'; });
