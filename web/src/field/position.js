// AVL from the phone: the device's position is the unit's. The page watches the position,
// reports it to the centre at most every FIX_INTERVAL_MS, and posts the latest fix again just
// before every status change, so the status and the place it was reported at arrive together
// (POST /units/{id}/status takes no position; POST /units/{id}/position does, and the centre
// keeps the newest fix by the time it was taken, so a fix sent twice is harmless).
//
// The crew can stop sharing (the choice is remembered on the device); the state, the age and
// the accuracy of the last fix are always on screen.

import { t, formatDistance, formatDuration, formatTime } from '../lib/i18n.js';
import { errorText } from './notices.js';

// FIX_INTERVAL_MS throttles reports: the recommendation needs the unit's whereabouts, not its
// every metre, and a phone on a bad network should spend its bandwidth on video.
const FIX_INTERVAL_MS = 10_000;
// STATUS_FIX_MAX_AGE_MS bounds the fix a status change carries: older, it says where the unit
// was, not where it is, and the periodic report has already sent it.
const STATUS_FIX_MAX_AGE_MS = 120_000;
const PREF_KEY = 'fireline.field.sharePosition';

/**
 * PositionReporter watches the device's position and reports it for unitId. state is one of
 * off (the crew stopped sharing), waiting (no fix yet), on, denied (no permission),
 * unavailable (no fix to be had) and unsupported (no geolocation). onChange runs after every
 * change of state, fix or report; onFix(fix) after every new fix.
 */
export class PositionReporter {
  constructor(client, { onChange, onFix } = {}) {
    Object.assign(this, { client, onChange, onFix });
    this.unitId = '';
    this.watch = null;
    this.fix = null; // {lat, lng, accuracy, heading, speed, at (ms)}
    this.sent = null; // {at (the fix's ms), ok, error}
    this.state = 'off';
    this.enabled = readPref();
  }

  /** start begins reporting for unitId, if the crew has not turned sharing off. */
  start(unitId) {
    this.unitId = unitId;
    if (!('geolocation' in navigator)) return this.setState('unsupported');
    if (!this.enabled) return this.setState('off');
    if (this.watch !== null) return;
    this.setState('waiting');
    this.watch = navigator.geolocation.watchPosition((pos) => this.onPosition(pos), (err) => this.onError(err),
      { enableHighAccuracy: true, maximumAge: 5_000 });
  }

  /** stop ends the watch (when the crew turns sharing off, or asks the device again). */
  stop() {
    if (this.watch !== null) navigator.geolocation.clearWatch(this.watch);
    this.watch = null;
  }

  /** reset stops and forgets the fix and the last report: the crew signed out. */
  reset() {
    this.stop();
    Object.assign(this, { unitId: '', fix: null, sent: null });
    this.setState('off');
  }

  /** setEnabled turns sharing on or off at the crew's word, and remembers the choice. */
  setEnabled(on) {
    this.enabled = on;
    writePref(on);
    if (on) {
      this.start(this.unitId);
    } else {
      this.stop();
      this.fix = null;
      this.setState('off');
    }
  }

  /** toggle answers the crew's button: stop sharing, share again, or ask the device again. */
  toggle() {
    if (this.enabled && (this.state === 'denied' || this.state === 'unavailable')) {
      this.stop();
      this.start(this.unitId);
    } else {
      this.setEnabled(!this.enabled);
    }
  }

  /** current is the latest fix while sharing is on, else null. */
  get current() {
    return this.enabled && this.fix ? this.fix : null;
  }

  onPosition(pos) {
    const c = pos.coords;
    this.fix = {
      lat: c.latitude, lng: c.longitude, accuracy: c.accuracy, at: pos.timestamp || Date.now(),
      heading: Number.isFinite(c.heading) ? c.heading : null, speed: Number.isFinite(c.speed) ? c.speed : null,
    };
    this.setState('on');
    this.onFix?.(this.fix);
    if (!this.sent || this.fix.at - this.sent.at >= FIX_INTERVAL_MS) this.send(this.fix);
  }

  onError(err) {
    // No permission or no fix: the command centre falls back to the home station and says so.
    if (err.code === 1) {
      this.stop();
      this.setState('denied');
    } else if (!this.fix) {
      this.setState('unavailable');
    }
  }

  /**
   * sendLatest posts the latest fix now (before a status change), whatever the throttle says.
   * It never throws: a status must not wait on a position that cannot be sent.
   */
  async sendLatest() {
    const fix = this.current;
    if (!fix || Date.now() - fix.at > STATUS_FIX_MAX_AGE_MS) return false;
    return this.send(fix);
  }

  async send(fix) {
    const id = this.unitId;
    if (!id) return false;
    const body = { lat: fix.lat, lng: fix.lng, accuracy: fix.accuracy, time: new Date(fix.at).toISOString() };
    if (fix.heading !== null && fix.heading >= 0 && fix.heading <= 360) body.heading = fix.heading;
    if (fix.speed !== null && fix.speed >= 0) body.speed = fix.speed;
    this.sent = { at: fix.at, ok: true, pending: true };
    try {
      await this.client.post(`/api/v1/units/${encodeURIComponent(id)}/position`, body);
      this.sent = { at: fix.at, ok: true, sentAt: Date.now() };
      return true;
    } catch (err) {
      this.sent = { at: fix.at, ok: false, error: errorText(err) };
      return false;
    } finally {
      this.onChange?.();
    }
  }

  setState(s) {
    this.state = s;
    this.onChange?.();
  }

  /** render fills the position panel: state, fix age, accuracy, last report, and the toggle. */
  render(root) {
    const q = (sel) => root.querySelector(sel);
    const fix = this.current;
    root.dataset.state = this.state;
    const said = t(`field.position.state.${this.state}`);
    // A live region: set only when it changes, or it is read out again every second.
    if (q('#position-state').textContent !== said) q('#position-state').textContent = said;
    q('#fix-age').textContent = fix ? t('field.position.age', { age: formatDuration((Date.now() - fix.at) / 1000) }) : t('field.position.noFix');
    q('#fix-accuracy').textContent = fix ? t('field.position.accuracy', { accuracy: formatDistance(fix.accuracy) }) : '';
    const report = q('#fix-sent');
    report.dataset.ok = this.sent ? String(this.sent.ok) : '';
    if (!this.enabled || !this.sent) report.textContent = '';
    else if (this.sent.pending) report.textContent = t('field.position.sending');
    else if (this.sent.ok) report.textContent = t('field.position.sent', { time: formatTime(this.sent.sentAt) });
    else report.textContent = t('field.position.refused', { detail: this.sent.error });
    const toggle = q('#position-toggle');
    toggle.setAttribute('aria-pressed', String(this.enabled));
    const retry = this.enabled && (this.state === 'denied' || this.state === 'unavailable');
    toggle.textContent = t(retry ? 'field.position.retry' : this.enabled ? 'field.position.stop' : 'field.position.start');
    toggle.disabled = this.state === 'unsupported';
  }
}

function readPref() {
  try { return localStorage.getItem(PREF_KEY) !== 'off'; } catch { return true; }
}

function writePref(on) {
  try { localStorage.setItem(PREF_KEY, on ? 'on' : 'off'); } catch { /* not remembered, still applied */ }
}
