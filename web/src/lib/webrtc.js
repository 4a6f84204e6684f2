// WHIP (publish) and WHEP (play) signalling, non-trickle: the offer goes to the server with all
// its ICE candidates in one POST, the 201 answer comes back complete with the server's, and the
// session's Location is what a DELETE ends. No STUN or TURN: the console and the crews reach the
// media server directly on the command centre's network, and nothing here needs the internet.

/**
 * iceGatheringComplete resolves when pc has gathered all its candidates, or after timeoutMs
 * (host candidates take milliseconds; a slow interface must not block the call forever).
 */
export function iceGatheringComplete(pc, timeoutMs = 3000) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === 'complete') done(); };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * negotiate makes pc's offer, posts it to path (a WHIP or WHEP endpoint) and applies the
 * answer. It returns the session's Location.
 */
export async function negotiate(client, path, pc) {
  await pc.setLocalDescription(await pc.createOffer());
  await iceGatheringComplete(pc);
  const { answer, location } = await client.exchangeSDP(path, pc.localDescription.sdp);
  try {
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  } catch (err) {
    await client.end(location).catch(() => {});
    throw err;
  }
  return location;
}

/**
 * mediaError is a failed media connection: its code (timeout, failed, closed) names the
 * message people read (common.media.<code> in the catalogues); the English message is for logs.
 */
export function mediaError(code) {
  const english = { timeout: 'media connection timed out: the media server is not reachable from this device', failed: 'media connection failed', closed: 'media connection closed' };
  const err = new Error(english[code] ?? `media connection ${code}`);
  err.code = `media_${code}`;
  return err;
}

/** connected resolves when pc connects and rejects if it fails first or within timeoutMs. */
export function connected(pc, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pc.connectionState === 'connected') finish();
      else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') finish(mediaError(pc.connectionState));
    };
    const finish = (err) => {
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => finish(mediaError('timeout')), timeoutMs);
    pc.addEventListener('connectionstatechange', check);
    check();
  });
}
