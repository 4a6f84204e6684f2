// The open incident's live video: every crew camera in a grid, played over WHEP. A camera that
// sends simulcast offers a layer choice (automatic, or low, mid or high: the WHEP ?layer=
// parameter), so an operator can hold a busy wall of cameras on the low layer and one on high.

import { $, authHeaders, el } from '../../lib/common.js';
import { mediaError, negotiate } from '../../lib/webrtc.js';
import { t, formatTime, formatNumber } from '../../lib/i18n.js';
import { data } from '../../lib/lifecycle.js';
import { state, on } from '../store.js';
import { client, session } from '../api.js';

const RETRY_AFTER_MS = 5000;
const LAYERS = ['', 'low', 'mid', 'high'];
const players = new Map(); // stream name → Player, for the open incident

/** Player plays one crew camera of an incident over WHEP. */
class Player {
  constructor(incidentId, stream, layer = '') {
    this.incidentId = incidentId;
    this.stream = stream;
    this.layer = layer;
    this.failedAt = 0;
    this.stopped = false;
    const name = state.unitsById.get(stream)?.name;
    this.video = el('video', {
      autoplay: true, muted: true, playsinline: true, 'data-stream': stream, 'data-testid': 'stream-video',
      'aria-label': t('console.video.aria', { stream }),
    });
    this.video.muted = true; // the attribute alone does not mute a video made by script
    this.stateText = el('span', { class: 'player-state', role: 'status' });
    this.meta = el('span', { class: 'player-meta' });
    this.layerChoice = el('select', {
      class: 'layer-choice', 'data-testid': 'layer-choice', 'data-stream': stream, hidden: true,
      'aria-label': t('console.video.layerAria', { stream }), onchange: () => this.switchLayer(this.layerChoice.value),
    }, LAYERS.map((l) => el('option', { value: l }, t(`console.video.layer.${l || 'auto'}`))));
    this.layerChoice.value = layer;
    this.node = el('figure', { class: 'player', 'data-stream': stream },
      this.video,
      el('figcaption', {}, el('strong', { translate: 'no' }, stream), name && name !== stream ? data(name, { class: 'sub' }) : null,
        this.stateText, this.layerChoice, this.meta));
    this.setState('connecting');
  }

  setState(s, detail = '') {
    this.state = s;
    this.detail = detail;
    this.node.dataset.state = s;
    this.stateText.replaceChildren(t(`console.video.state.${s}`), ...(detail ? [' ', data(detail)] : []));
  }

  async start() {
    const pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const tracks = [];
    pc.ontrack = (e) => {
      tracks.push(e.track);
      this.video.srcObject = e.streams[0] ?? new MediaStream(tracks);
      this.video.play().catch(() => {}); // autoplay of a muted video is allowed; this only nudges it
    };
    pc.onconnectionstatechange = () => {
      if (this.stopped) return;
      switch (pc.connectionState) {
        case 'connected': this.setState('live'); break;
        case 'disconnected': this.setState('lost'); break;
        case 'failed': this.fail(mediaError('failed')); break;
      }
    };
    try {
      const query = this.layer ? `?layer=${this.layer}` : '';
      const path = `/api/v1/media/incidents/${this.incidentId}/streams/${encodeURIComponent(this.stream)}/whep${query}`;
      this.location = await negotiate(client, path, pc);
      if (this.stopped) this.end();
    } catch (err) {
      this.fail(err);
    }
  }

  fail(err) {
    if (this.stopped) return;
    // A media error has a code with words in the catalogues; an API problem brings its detail.
    this.setState('failed', err.code?.startsWith('media_') ? t(`common.media.${err.code.slice(6)}`) : err.message);
    this.failedAt = Date.now();
    this.end();
  }

  end() {
    this.pc?.close();
    if (this.location) client.end(this.location).catch(() => {});
    this.location = null;
  }

  stop() {
    this.stopped = true;
    this.end();
    this.video.srcObject = null;
    this.node.remove();
  }

  /** switchLayer plays the stream again on another simulcast layer ('' lets the link decide). */
  switchLayer(layer) {
    const next = new Player(this.incidentId, this.stream, layer);
    players.set(this.stream, next);
    this.node.replaceWith(next.node);
    this.stopped = true;
    this.end();
    next.start();
    if (this.info) next.update(this.info);
    next.layerChoice.focus();
  }

  update(info) {
    this.info = info;
    const tracks = (info.tracks || []).map((x) => x.replace(/^(video|audio)\//, '')).join(', ');
    const parts = [
      t('console.video.since', { time: formatTime(info.started_at) }),
      t('console.video.viewers', { n: info.viewers ?? 0 }),
      tracks,
      info.bitrate_bps ? t('console.video.bitrate', { n: formatNumber(info.bitrate_bps / 1e6, { maximumFractionDigits: 1 }) }) : '',
      info.packets_lost > 0 ? t('console.video.lost', { n: info.packets_lost }) : '',
    ];
    this.meta.textContent = parts.filter(Boolean).join(' · ');
    this.node.dataset.bitrate = String(info.bitrate_bps || 0);
    this.layerChoice.hidden = !(info.layers?.length > 1);
  }
}

function showNote(text) {
  $('#video-empty').textContent = text;
  $('#video-empty').hidden = !text;
}

function sync() {
  const s = state.streams;
  if (state.selectedId === null) {
    stopPlayers();
    showNote(t('console.video.selectIncident'));
    return;
  }
  if (!s || s.incidentId !== state.selectedId) {
    showNote(t('console.video.looking'));
    return;
  }
  const names = new Set(s.list.map((x) => x.stream));
  for (const [name, p] of players) {
    // A failed player is retried after a pause, so a crew's brief network loss heals itself.
    if (!names.has(name) || p.incidentId !== s.incidentId || (p.state === 'failed' && Date.now() - p.failedAt > RETRY_AFTER_MS)) {
      p.stop();
      players.delete(name);
    }
  }
  const grid = $('#video-grid');
  for (const info of s.list) {
    let p = players.get(info.stream);
    if (!p) {
      p = new Player(s.incidentId, info.stream);
      players.set(info.stream, p);
      grid.append(p.node);
      p.start();
    }
    p.update(info);
  }
  $('#video-count').textContent = s.list.length ? String(s.list.length) : '';
  showNote(s.note ? t('console.video.noServer') : s.list.length ? '' : t('console.video.none'));
}

function stopPlayers() {
  for (const p of players.values()) p.stop();
  players.clear();
  $('#video-count').textContent = '';
}

function redrawText() {
  for (const p of players.values()) {
    p.setState(p.state, p.detail);
    p.video.setAttribute('aria-label', t('console.video.aria', { stream: p.stream }));
    p.layerChoice.setAttribute('aria-label', t('console.video.layerAria', { stream: p.stream }));
    for (const o of p.layerChoice.options) o.textContent = t(`console.video.layer.${o.value || 'auto'}`);
    if (p.info) p.update(p.info);
  }
  sync();
}

/** setupVideo plays the open incident's cameras and ends every session with the page. */
export function setupVideo() {
  on('selection', () => {
    if ([...players.values()].some((p) => p.incidentId !== state.selectedId)) stopPlayers();
    sync();
  });
  on('streams', sync);
  on('locale', redrawText);
  on('session', () => { if (!session.signedIn) stopPlayers(); });
  // WHEP sessions end with the page, so the media server does not wait for a timeout.
  addEventListener('pagehide', () => {
    for (const p of players.values()) {
      if (p.location) fetch(p.location, { method: 'DELETE', keepalive: true, headers: authHeaders(session, 'DELETE') }).catch(() => {});
    }
  });
}
