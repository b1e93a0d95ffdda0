// The Socket.IO 4.8 peer of bench/run.sh: WsRooms' room semantics on one Node process.
//   join R        -> socket.join(R); join_ack (R, every member id, the joiner included) to the joiner,
//                    new_member (R, id) to the others
//   leave R       -> leave_ack (R) to the leaver, member_left (R, id) to the others
//   pub R, p      -> "m" (R, sender id, p) to every member of R except the sender, only if the sender is a member
//   dm dst, p     -> "dm" (sender id, p) to the socket with id dst
// Every connection is in its own room (its id), as in WsRooms' root; no root presence.
// Usage: node server.js PORT  (listens on 127.0.0.1)
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const port = Number(process.argv[2] || 3000);
const httpServer = http.createServer();
// WebSocket only, as the generator connects; no per-message compression (WsRooms has none either).
const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  socket.on('join', (room) => {
    if (typeof room !== 'string' || room.length === 0) return;
    socket.join(room);
    const members = Array.from(io.sockets.adapter.rooms.get(room) || []);
    socket.emit('join_ack', room, members);
    socket.to(room).emit('new_member', room, socket.id);
  });
  socket.on('leave', (room) => {
    if (typeof room !== 'string') return;
    const wasMember = socket.rooms.has(room) && room !== socket.id;
    socket.leave(room);
    socket.emit('leave_ack', room);
    if (wasMember) socket.to(room).emit('member_left', room, socket.id);
  });
  socket.on('pub', (room, payload) => {
    if (!socket.rooms.has(room)) return; // only members broadcast, as in WsRooms
    socket.to(room).emit('m', room, socket.id, payload);
  });
  socket.on('dm', (dst, payload) => {
    io.to(dst).emit('dm', socket.id, payload);
  });
  socket.on('disconnecting', () => {
    for (const room of socket.rooms) {
      if (room !== socket.id) socket.to(room).emit('member_left', room, socket.id);
    }
  });
});

httpServer.listen(port, '127.0.0.1', () => console.log(`socket.io ${require('socket.io/package.json').version} peer on 127.0.0.1:${port}`));
process.on('SIGTERM', () => { io.close(); process.exit(0); });
process.on('SIGINT', () => { io.close(); process.exit(0); });
