/**
 * `@tradenova/adapter-others/fix/simulator`: a FIX 4.2 / 4.4 acceptor on loopback
 * (jspurefix) in front of the shared simulated exchange, with sequence gaps,
 * resend requests, duplicate reports and dropped connections on demand.
 *
 * Like a broker's gateway it serves many initiators at once, one FIX session per
 * initiator CompID, each with its own sequence numbers kept across connections.
 * A session's identity (and so its sequence numbers) is bound when its Logon
 * arrives, not when the socket opens: a restarted initiator may log on again
 * while its previous socket is still being torn down, and the new logon replaces
 * the old session instead of racing it.
 */
export * from './server.js';
