// The incident's full timeline, with actors and times, under the review's cursor: a slider
// across the incident (marked with its events) and the list of events. The event the cursor is
// at is the current one (aria-current), those before it are marked as passed; choosing an
// event puts the cursor on it, which seeks the recordings.

import { el } from '../lib/common.js';
import { formatDateTime, formatTime, has, t, tEnum } from '../lib/i18n.js';
import { ms } from './cursor.js';
import { datum, tNodes } from './text.js';

/** eventName is an event's kind in words; a unit's status report names the status. */
export function eventName(ev) {
  const kind = has(`review.event.${ev.kind}`) ? t(`review.event.${ev.kind}`) : ev.kind;
  const status = ev.kind === 'unit_status' ? ev.data?.status : null;
  return status ? t('review.event.unitStatusTo', { status: tEnum('unitStatus', status) }) : kind;
}

/** actorName is who acted: a user's name as it is, the system's own actors in words. */
export function actorName(actor) {
  if (!actor) return '';
  return isUser(actor) ? actor : t(`review.actor.${actor}`);
}

/** isUser reports whether an event's actor is a person (a username), not the system itself. */
const isUser = (actor) => !has(`review.actor.${actor}`);

// A seek lands on the frame at or just before the moment: the event chosen stays current
// while the cursor is this close before it.
const GRACE_MS = 1000;

export class Timeline {
  constructor({ list, slider, output, ticks, onChoose, onSlide }) {
    Object.assign(this, { list, slider, output, ticks, onChoose, onSlide });
    this.events = [];
    this.range = null; // [start, end] ms
    this.chosen = null; // the event last chosen: {id, at}
    this.at = null;
    this.covered = () => [];
    slider.addEventListener('input', () => this.onSlide?.(Number(slider.value)));
  }

  /** set shows an incident's events over [start, end]; covered(at) lists the recordings of a moment. */
  set(events, range, covered) {
    this.events = events;
    this.range = range;
    this.covered = covered;
    this.render();
  }

  clear() {
    this.events = [];
    this.range = null;
    this.chosen = null;
    this.at = null;
    this.list.replaceChildren();
    this.ticks.replaceChildren();
    this.output.textContent = '';
  }

  /** choose marks ev as the event the user chose; the cursor comes to it next. */
  choose(ev) { this.chosen = { id: ev.id, at: ms(ev.at) }; }

  /** current is the id of the event the cursor is at: the chosen one, else the last passed. */
  current(at) {
    if (at == null) return null;
    const c = this.chosen;
    if (c && at >= c.at - GRACE_MS && !this.events.some((e) => ms(e.at) > c.at && ms(e.at) <= at)) return c.id;
    let id = null;
    for (const e of this.events) if (ms(e.at) <= at) id = e.id;
    return id;
  }

  render() {
    const [start, end] = this.range || [0, 1];
    this.slider.min = String(start);
    this.slider.max = String(Math.max(end, start + 1000));
    const width = Math.max(end - start, 1);
    this.ticks.replaceChildren(...this.events.map((ev) => {
      // Through the CSSOM: the pages' content security policy refuses style attributes.
      const tick = el('span', { class: `tick ev-${ev.kind}` });
      tick.style.left = `${(((ms(ev.at) - start) / width) * 100).toFixed(3)}%`;
      return tick;
    }));
    if (!this.events.length) {
      this.list.replaceChildren(el('li', { class: 'empty' }, t('review.timeline.none')));
      return;
    }
    this.list.replaceChildren(...this.events.map((ev) => this.row(ev)));
    this.move(this.at ?? start);
  }

  row(ev) {
    const at = ms(ev.at);
    const recs = this.covered(at);
    const where = recs.map((r) => t('review.timeline.videoAt', { stream: r.stream, offset: offset(at - ms(r.started_at)) })).join(t('review.listSeparator'));
    const actor = actorName(ev.actor);
    const name = eventName(ev);
    return el('li', { class: `ev ev-${ev.kind}`, 'data-event-id': ev.id, 'aria-current': 'false' },
      el('button', {
        type: 'button', class: 'review-event', 'data-testid': 'review-event', 'data-kind': ev.kind, 'data-at': ev.at,
        'data-status': ev.data?.status || null, 'data-unit-id': ev.unit_id || null, 'data-covered': String(recs.length > 0),
        'aria-label': t(recs.length ? 'review.timeline.eventLabelVideo' : 'review.timeline.eventLabel', {
          time: formatTime(ev.at), event: name, detail: ev.detail || '', video: where,
        }),
        onclick: () => this.onChoose?.(ev),
      },
      el('time', { datetime: ev.at, title: formatDateTime(ev.at) }, formatTime(ev.at)),
      el('span', { class: 'ev-kind' }, name),
      el('span', { class: 'ev-body' },
        ev.unit_id ? el('span', { class: 'ev-unit', translate: 'no' }, ev.unit_id) : null,
        actor ? el('span', { class: 'ev-actor' }, `${t('review.timeline.by')} `, el('bdi', { translate: isUser(ev.actor) ? 'no' : null }, actor)) : null,
        // The server writes an event's detail in English: it is shown as it is, marked as such.
        ev.detail ? el('span', { class: 'ev-detail', lang: 'en', translate: 'no' }, ev.detail) : null,
        recs.length ? el('span', { class: 'tag tag-video' }, el('span', { 'aria-hidden': 'true' }, '▶ '),
          recs.flatMap((r, i) => [i ? t('review.listSeparator') : '',
            ...tNodes('review.timeline.videoAt', { stream: datum(r.stream), offset: offset(at - ms(r.started_at)) })])) : null)));
  }

  /** move shows the cursor at the moment at (ms): the slider, the time, and the current event. */
  move(at) {
    this.at = at;
    const iso = new Date(at).toISOString();
    this.slider.value = String(at);
    this.slider.setAttribute('aria-valuetext', formatDateTime(iso));
    this.output.value = formatTime(iso);
    this.output.dataset.at = iso;
    const id = this.current(at);
    let passed = true;
    for (const li of this.list.children) {
      const mine = li.dataset.eventId === String(id);
      li.setAttribute('aria-current', String(mine));
      li.classList.toggle('is-passed', passed && !mine);
      if (mine) passed = false;
    }
    if (id == null) for (const li of this.list.children) li.classList.remove('is-passed');
  }
}

/** offset is a position in a recording: "0:42" or "1:02:09". */
function offset(msIn) {
  const s = Math.max(0, Math.round(msIn / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}
