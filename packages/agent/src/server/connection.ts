// One WebSocket connection: the greeting once the origin is admitted, heartbeats answered at once,
// requests handled one at a time in arrival order. A flood is slowed by pausing the socket, so
// TCP pushes back on the sender instead of the agent buffering without end.
import type { RawData, WebSocket } from "ws";
import { commonUtilsFailure, greeting, HEARTBEAT } from "../protocol/messages.ts";
import type { Session } from "../session.ts";
import { logInternalError } from "../modules/replyErrors.ts";
import { dispatch } from "./dispatch.ts";

/** Requests waiting on one connection before the agent stops reading from it. */
const MAX_WAITING = 16;

export function serveConnection(socket: WebSocket, session: Session, admitted: Promise<boolean>): void {
  const waiting: Array<{ data: RawData; isBinary: boolean }> = [];
  let open = false;
  let working = false;

  const send = (reply: unknown) => {
    if (socket.readyState === socket.OPEN)
      socket.send(typeof reply === "string" ? reply : JSON.stringify(reply));
  };

  const work = async () => {
    if (working || !open) return;
    working = true;
    while (waiting.length > 0 && socket.readyState === socket.OPEN) {
      const next = waiting.shift()!;
      if (socket.isPaused && waiting.length < MAX_WAITING / 2) socket.resume();
      send(await answer(next.data, next.isBinary, session));
    }
    working = false;
  };

  socket.on("message", (data, isBinary) => {
    if (open && !isBinary && data.toString() === HEARTBEAT) {
      send(HEARTBEAT);
      return;
    }
    waiting.push({ data, isBinary });
    if (waiting.length >= MAX_WAITING) socket.pause();
    void work();
  });
  socket.on("error", () => socket.terminate());

  admitted.then(
    (allowed) => {
      if (!allowed) {
        socket.close(1008, "origin not allowed");
        return;
      }
      open = true;
      send(greeting());
      void work();
    },
    () => socket.close(1011, "internal error"),
  );
}

async function answer(data: RawData, isBinary: boolean, session: Session): Promise<unknown> {
  if (isBinary) return commonUtilsFailure("binary messages are not part of the protocol");
  const text = data.toString();
  if (text === HEARTBEAT) return HEARTBEAT;
  try {
    return await dispatch(text, session);
  } catch (error) {
    logInternalError(error);
    return commonUtilsFailure("internal error");
  }
}
