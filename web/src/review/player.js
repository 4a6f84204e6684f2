// The incident's recorded video. A recording's media time 0 is the wall-clock time of its
// first frame (started_at), so a moment t of the incident is t − started_at into it. A playing
// recording moves the review's cursor; a move of the cursor from elsewhere (an event chosen,
// the slider dragged) seeks every recording that holds that moment.

import { el } from '../lib/common.js';
import { formatDuration, formatNumber, formatTime, t } from '../lib/i18n.js';
import { ms } from './cursor.js';

/** span is a recording's [start, end] in wall-clock ms; a growing one ends where it has got to. */
export function span(rec) {
  const start = ms(rec.started_at);
  const end = rec.ended_at ? ms(rec.ended_at) : start + (rec.duration_s || 0) * 1000;
  return [start, end];
}

/** covers reports whether rec holds the moment at (ms), with a second's grace at its end. */
export function covers(rec, at) {
  const [start, end] = span(rec);
  return at >= start && at <= end + 1000;
}

const sizeText = (b) => (b >= 1e6
  ? t('review.recordings.megabytes', { n: formatNumber(b / 1e6, { maximumFractionDigits: 1 }) })
  : t('review.recordings.kilobytes', { n: formatNumber(Math.max(1, Math.round(b / 1e3))) }));

/** Player is one recording: its video, the wall-clock time of the picture, and what it is. */
export class Player {
  /** onTime(at) is called with the picture's wall-clock time (ms) as it plays or is scrubbed. */
  constructor(rec, { onTime, onBroken }) {
    this.rec = rec;
    this.onTime = onTime;
    this.onBroken = onBroken;
    this.retried = 0;
    this.video = el('video', {
      controls: true, preload: 'metadata', playsinline: true, 'data-testid': 'recording-video', 'data-name': rec.name,
      'data-stream': rec.stream,
    });
    this.video.src = rec.url;
    this.wall = el('output', { class: 'recording-clock num', 'data-testid': 'recording-clock' });
    this.meta = el('span', { class: 'player-meta' });
    this.tag = el('span', { class: 'tag' });
    this.download = el('a', { class: 'recording-download', download: rec.name });
    this.title = el('strong', { translate: 'no' }, rec.stream);
    this.node = el('figure', {
      class: 'player recording', 'data-testid': 'recording', 'data-name': rec.name, 'data-stream': rec.stream, 'data-started-at': rec.started_at,
    }, this.video, el('figcaption', {}, this.title, this.wall, this.tag, this.meta, this.download));
    // timeupdate comes four times a second while playing, and after every seek: the cursor
    // follows the picture, whoever moved it.
    this.video.addEventListener('timeupdate', () => this.tick(true));
    this.video.addEventListener('loadedmetadata', () => this.tick(false));
    this.video.addEventListener('error', () => this.failed());
  }

  /** at is the wall-clock time (ms) of the picture shown now. */
  get at() { return ms(this.rec.started_at) + (this.video.currentTime || 0) * 1000; }

  update(rec) {
    const fresh = rec.url !== this.rec.url;
    this.rec = rec;
    this.node.dataset.state = rec.state;
    this.node.dataset.complete = String(rec.complete);
    // A new URL (a fresh ticket) replaces the old only when the old one failed: swapping it
    // would restart the video.
    if (fresh && this.broken) this.reload();
    this.render();
  }

  /** render writes every word of the player in the current language. */
  render() {
    const rec = this.rec;
    const tags = { recording: ['review.recordings.state.recording', 'tag-warn'], interrupted: ['review.recordings.state.interrupted', 'tag-danger'], failed: ['review.recordings.state.failed', 'tag-danger'], cut: ['review.recordings.state.cut', 'tag-danger'] };
    const [key, cls] = tags[rec.state] || ['', ''];
    this.tag.hidden = !key;
    this.tag.textContent = key ? t(key) : '';
    this.tag.className = `tag ${cls}`;
    const hints = { interrupted: 'review.recordings.interruptedHint', cut: 'review.recordings.cutHint' };
    this.tag.title = hints[rec.state] ? t(hints[rec.state]) : '';
    const size = rec.width ? `${rec.width}×${rec.height}` : t('review.recordings.audioOnly');
    this.meta.replaceChildren(`${formatTime(rec.started_at)}–${formatTime(rec.ended_at)} · ${formatDuration(rec.duration_s)} · ${size} · `,
      el('span', { translate: 'no' }, (rec.codecs || []).map((c) => c.replace(/^(video|audio)\//, '')).join('+')),
      ` · ${sizeText(rec.bytes || 0)}`);
    this.download.textContent = t('review.recordings.download');
    this.download.href = rec.url;
    this.video.setAttribute('aria-label', t('review.recordings.videoLabel', { stream: rec.stream, start: formatTime(rec.started_at) }));
    this.wall.setAttribute('aria-label', t('review.recordings.clockLabel'));
    this.tick(false);
  }

  /** tick shows the picture's wall-clock time and, when it moved, tells the cursor. */
  tick(moved) {
    const at = this.at;
    const iso = new Date(at).toISOString();
    this.wall.textContent = formatTime(iso);
    this.wall.dataset.at = iso;
    if (moved) this.onTime?.(at, this);
  }

  /** show puts the picture at the wall-clock moment at (ms); with play it plays from there. */
  show(at, play) {
    const go = () => {
      this.video.currentTime = Math.max(0, (at - ms(this.rec.started_at)) / 1000);
      if (play) this.video.play().catch(() => {}); // a click started this: playing is allowed
    };
    if (this.video.readyState >= 1) go();
    else this.video.addEventListener('loadedmetadata', go, { once: true });
  }

  /** failed: an expired link is the likely cause; fresh links come with the list. */
  failed() {
    this.broken = true;
    if (this.retried++ < 3) this.onBroken?.(this);
  }

  reload() {
    const at = this.video.currentTime;
    this.broken = false;
    this.video.src = this.rec.url;
    if (at) this.video.addEventListener('loadedmetadata', () => { this.video.currentTime = at; }, { once: true });
  }

  remove() {
    this.video.removeAttribute('src');
    this.video.load();
    this.node.remove();
  }
}

/** Recordings keeps one Player per recording of the incident in a box. */
export class Recordings {
  constructor(box, empty, { onTime, onBroken }) {
    Object.assign(this, { box, empty, onTime, onBroken });
    this.list = [];
    this.players = new Map(); // name → Player
    this.unavailable = ''; // why the server serves no recordings, when it says
  }

  clear() {
    for (const p of this.players.values()) p.remove();
    this.players.clear();
    this.list = [];
    this.unavailable = '';
    this.render();
  }

  set(list) {
    this.list = list;
    const names = new Set(list.map((r) => r.name));
    for (const [name, p] of this.players) {
      if (!names.has(name)) {
        p.remove();
        this.players.delete(name);
      }
    }
    for (const rec of list) {
      let p = this.players.get(rec.name);
      if (!p) {
        p = new Player(rec, { onTime: this.onTime, onBroken: this.onBroken });
        this.players.set(rec.name, p);
        this.box.append(p.node);
      }
      p.update(rec);
    }
    this.render();
  }

  render() {
    for (const p of this.players.values()) p.render();
    this.empty.hidden = this.list.length > 0;
    this.empty.textContent = this.unavailable ? t('review.recordings.unavailable', { detail: this.unavailable }) : t('review.recordings.none');
  }

  /** covering lists the recordings that hold the moment at (ms). */
  covering(at) { return this.list.filter((r) => covers(r, at)); }

  /** show seeks every recording that holds at to it; play plays them from there. */
  show(at, play) {
    const recs = this.covering(at);
    for (const r of recs) this.players.get(r.name)?.show(at, play);
    return recs;
  }

  /** bounds is the span [start, end] (ms) of all recordings, or null. */
  bounds() {
    if (!this.list.length) return null;
    const spans = this.list.map(span);
    return [Math.min(...spans.map((s) => s[0])), Math.max(...spans.map((s) => s[1]))];
  }
}
