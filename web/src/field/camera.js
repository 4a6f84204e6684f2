// The scene camera: one button publishes the device's camera to the incident's media room over
// WHIP, and a LIVE indicator (in the camera panel and in the top bar, so it shows wherever the
// crew has scrolled) says for how long the centre has been receiving it.

import { $, authHeaders } from '../lib/common.js';
import { connected, negotiate } from '../lib/webrtc.js';
import { formatDuration, t } from '../lib/i18n.js';
import { errorText } from './notices.js';

/** Camera publishes the device camera to an incident's media room over WHIP. */
class Camera {
  constructor(client, incidentId, onState) {
    Object.assign(this, { client, incidentId, onState });
    this.stopped = false;
    this.state = 'connecting';
    this.note = 'starting';
    this.liveSince = 0;
  }

  async start() {
    this.setState('connecting', 'starting');
    this.media = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
    $('#camera-preview').srcObject = this.media;
    const pc = new RTCPeerConnection();
    this.pc = pc;
    for (const track of this.media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [this.media] });
    pc.addEventListener('connectionstatechange', () => {
      if (this.stopped) return;
      if (pc.connectionState === 'disconnected') this.setState('connecting', 'unstable');
      if (pc.connectionState === 'connected') this.setState('live');
      if (pc.connectionState === 'failed') this.onFailed?.();
    });
    this.setState('connecting', 'connecting');
    this.location = await negotiate(this.client, `/api/v1/media/incidents/${this.incidentId}/whip`, pc);
    await connected(pc);
    this.setState('live');
  }

  setState(state, note = '') {
    if (this.stopped) return;
    if (state === 'live' && this.state !== 'live') this.liveSince = Date.now();
    this.state = state;
    this.note = note;
    this.onState();
  }

  async stop() {
    this.stopped = true;
    this.pc?.close();
    for (const track of this.media?.getTracks() ?? []) track.stop();
    $('#camera-preview').srcObject = null;
    if (this.location) await this.client.end(this.location).catch(() => {});
    this.location = null;
  }
}

/**
 * CameraPanel drives #camera-start, #camera-stop, #camera-state (data-state idle, connecting or
 * live), the preview and the LIVE indicators (#camera-live, #live-badge).
 */
export class CameraPanel {
  constructor(client, session, notices) {
    Object.assign(this, { client, session, notices });
    this.camera = null;
    this.incidentId = 0;
    this.ticker = null;
    $('#camera-start').addEventListener('click', () => this.start());
    $('#camera-stop').addEventListener('click', () => this.stop());
    // A closing tab ends its WHIP session at once rather than after the server's timeout.
    addEventListener('pagehide', () => {
      const location = this.camera?.location;
      if (location) {
        fetch(location, { method: 'DELETE', keepalive: true, headers: authHeaders(this.session, 'DELETE') }).catch(() => {});
      }
    });
  }

  /** setIncident says which incident the unit is on (0 for none); video leaves with the unit. */
  setIncident(id) {
    const was = this.incidentId;
    this.incidentId = id || 0;
    if (this.camera && this.camera.incidentId !== this.incidentId) {
      this.notices.info(t('field.camera.leftIncident', { id: was }));
      this.stop();
    }
    this.render();
  }

  async start() {
    if (this.camera || !this.incidentId) return;
    const camera = new Camera(this.client, this.incidentId, () => this.render());
    camera.onFailed = () => {
      this.notices.error(t('field.camera.failed'));
      this.stop();
    };
    this.camera = camera;
    this.render();
    try {
      await camera.start();
    } catch (err) {
      if (this.camera !== camera) return; // stopped meanwhile
      const why = err.name === 'NotAllowedError' ? t('field.camera.denied') : errorText(err);
      this.notices.error(t('field.camera.error', { detail: why }));
      await this.stop();
    }
    this.render();
  }

  async stop() {
    const camera = this.camera;
    this.camera = null;
    this.render();
    if (camera) await camera.stop();
  }

  render() {
    const camera = this.camera;
    const state = camera ? camera.state : 'idle';
    const p = $('#camera-state');
    p.dataset.state = state;
    let said;
    if (state === 'live') said = t('field.camera.state.live', { id: camera.incidentId });
    else if (state === 'connecting') said = t(`field.camera.state.${camera.note || 'connecting'}`);
    else said = t(this.incidentId ? 'field.camera.state.idle' : 'field.camera.state.noIncident');
    if (p.textContent !== said) p.textContent = said; // a live region: said again only when it changes
    const live = state === 'live';
    $('#camera-live').hidden = !live;
    $('#live-badge').hidden = !live;
    $('#camera-panel').classList.toggle('is-live', live);
    $('#camera-start').disabled = Boolean(camera) || !this.incidentId;
    $('#camera-stop').disabled = !camera;
    $('#camera-preview').hidden = !camera;
    this.tick();
    clearInterval(this.ticker);
    this.ticker = live ? setInterval(() => this.tick(), 1000) : null;
  }

  /** tick writes how long the stream has been live into the LIVE indicators. */
  tick() {
    const camera = this.camera;
    if (!camera || camera.state !== 'live') return;
    const text = t('field.camera.liveFor', { duration: formatDuration((Date.now() - camera.liveSince) / 1000) });
    $('#camera-live-time').textContent = text;
    $('#live-badge').title = text;
  }
}
