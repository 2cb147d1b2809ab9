import { describe, expect, it } from 'vitest';
import { MessageStore, type StoreChange } from '@chat/client';

import { id, ME, msg, PEER } from './support/messages.js';

function store() {
  const changes: StoreChange[] = [];
  const s = new MessageStore((c) => changes.push(c));
  const kinds = () => changes.map((c) => `${c.kind}:${c.message.seq}`);
  return { s, changes, kinds };
}

describe('MessageStore', () => {
  it('announces each live message once, and a repeat (a redelivered broadcast) not at all', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    s.applyLive(msg(2), true);
    s.applyLive(msg(1), true);
    expect(kinds()).toEqual(['message:1', 'message:2']);
    expect(s.messages.map((m) => m.seq)).toEqual([1, 2]);
  });

  it('holds a live message that skips a seq until the one before it arrives, then announces both in order', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    expect(s.applyLive(msg(3), true)).toBe('gap');
    expect(kinds()).toEqual(['message:1']);
    expect(s.hasWaiting).toBe(true);
    s.applyLive(msg(2), true);
    expect(kinds()).toEqual(['message:1', 'message:2', 'message:3']);
    expect(s.hasWaiting).toBe(false);
  });

  it('during a sync, announces what the feed brought sorted by seq at its end, then the live messages that waited', () => {
    const { s, kinds } = store();
    s.beginSync();
    // The feed is in rev order: message 2 was edited after 3 was sent.
    s.applyChange(msg(3, { rev: 3 }));
    s.applyLive(msg(4), true);
    s.applyChange(msg(2, { rev: 5, content: 'edited', isEdited: true }));
    s.cursor = 5;
    expect(kinds()).toEqual([]);
    s.endSync();
    expect(kinds()).toEqual(['message:2', 'message:3', 'message:4']);
    expect(s.get(id(2))?.content).toBe('edited');
  });

  it('a live message that lands during a sync past a seq the feed has not shown keeps waiting for the next sync', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    s.beginSync();
    s.applyChange(msg(2));
    s.cursor = 2;
    // 4 was written after the feed's last page; 3 took its numbers first and is still being written.
    s.applyLive(msg(4), true);
    s.endSync();
    expect(kinds()).toEqual(['message:1', 'message:2']);
    expect(s.hasWaiting).toBe(true);
    s.beginSync();
    s.applyChange(msg(3));
    s.applyChange(msg(4));
    s.cursor = 4;
    s.endSync();
    expect(kinds()).toEqual(['message:1', 'message:2', 'message:3', 'message:4']);
    expect(s.hasWaiting).toBe(false);
  });

  it('a seq the feed passed without showing is not waited for', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    expect(s.applyLive(msg(3), true)).toBe('gap');
    s.beginSync();
    s.applyChange(msg(3)); // seq 2 was never stored (its write failed after taking its numbers)
    s.cursor = 3;
    s.endSync();
    expect(kinds()).toEqual(['message:1', 'message:3']);
    expect(s.hasWaiting).toBe(false);
  });

  it('skips a change older than the one held, and a feed copy of the same rev', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    s.applyDelta(id(1), { type: 'edit', rev: 5, content: 'second edit', editedAt: 't5' });
    s.applyDelta(id(1), { type: 'edit', rev: 4, content: 'first edit', editedAt: 't4' });
    s.applyChange(msg(1, { rev: 5, content: 'second edit', isEdited: true, editedAt: 't5' }));
    expect(s.get(id(1))?.content).toBe('second edit');
    expect(kinds()).toEqual(['message:1', 'update:1']);
  });

  it('keeps a receipt that arrived after a newer edit: receipts are unions, not ordered by rev', () => {
    const { s } = store();
    s.applyLive(msg(1), true);
    s.applyDelta(id(1), { type: 'edit', rev: 7, content: 'edited', editedAt: 't7' });
    s.applyDelta(id(1), { type: 'read', rev: 6, userId: ME, at: 't6' });
    expect(s.get(id(1))).toMatchObject({ content: 'edited', readBy: [{ userId: ME }], deliveredTo: [{ userId: ME }] });
  });

  it('merges a feed state older than a live change: newer parts stay, older parts come from the feed', () => {
    const { s } = store();
    s.applyLive(msg(1), true);
    // Live: a reaction at rev 9. The feed answer (rev 8) was read before it, and holds a read at rev 8.
    s.applyDelta(id(1), { type: 'reaction', rev: 9, userId: PEER, emoji: '👍', added: true, at: 't9' });
    s.applyChange(msg(1, { rev: 8, readBy: [{ userId: ME, readAt: 't8' }] }));
    expect(s.get(id(1))).toMatchObject({ rev: 9, reactions: [{ emoji: '👍' }], readBy: [{ userId: ME }] });
    // A reaction removed live after the feed's state stays removed.
    s.applyDelta(id(1), { type: 'reaction', rev: 10, userId: PEER, emoji: '👍', added: false, at: 't10' });
    s.applyChange(msg(1, { rev: 9, reactions: [{ userId: PEER, emoji: '👍', createdAt: 't9' }] }));
    expect(s.get(id(1))?.reactions).toEqual([]);
  });

  it('removes once; later copies of a removed message are ignored', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    s.remove(id(1), 3);
    s.applyChange({ _id: id(1), chatId: 'c'.repeat(24), rev: 3, seq: 1, isDeleted: true });
    s.applyLive(msg(1), true);
    s.applyDelta(id(1), { type: 'edit', rev: 2, content: 'late', editedAt: 't' });
    expect(kinds()).toEqual(['message:1', 'remove:1']);
    expect(s.messages).toEqual([]);
  });

  it('a tombstone takes its seq, so the next live message is not held for it', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    s.applyChange({ _id: id(2), chatId: 'c'.repeat(24), rev: 2, seq: 2, isDeleted: true });
    expect(s.applyLive(msg(3), true)).toBe('applied');
    expect(kinds()).toEqual(['message:1', 'message:3']);
  });

  it('a partial change for a message not held is unknown (the caller catches up); one for a gone message is not', () => {
    const { s } = store();
    expect(s.applyDelta(id(1), { type: 'edit', rev: 2, content: 'x', editedAt: 't' })).toBe('unknown');
    s.remove(id(2), 3);
    expect(s.applyDelta(id(2), { type: 'edit', rev: 2, content: 'x', editedAt: 't' })).toBe('applied');
  });

  it('feed entries older than the loaded window are skipped; loadOlder pages are held without being announced', () => {
    const { s, kinds } = store();
    s.beginSync();
    s.loadNewest([msg(20), msg(19)], false);
    s.applyChange(msg(5, { rev: 25, content: 'old message edited' }));
    s.endSync();
    expect(s.cursor).toBe(20);
    expect(s.messages.map((m) => m.seq)).toEqual([19, 20]);
    expect(s.addHistory([msg(18), msg(17)], true).map((m) => m.seq)).toEqual([17, 18]);
    expect(s.floorSeq).toBe(0);
    expect(kinds()).toEqual(['message:19', 'message:20']);
  });

  it('a live message replying to an unknown message waits for the feed', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    expect(s.applyLive(msg(2), false)).toBe('gap');
    s.beginSync();
    s.applyChange(msg(2, { replyTo: { messageId: 'x', senderId: ME, content: 'old', messageType: 'text' } }));
    s.endSync();
    expect(kinds()).toEqual(['message:1', 'message:2']);
    expect(s.get(id(2))?.replyTo?.content).toBe('old');
  });
  it('clear (my delete of the chat) removes every held message once, and their late copies stay out', () => {
    const { s, kinds } = store();
    s.applyLive(msg(1), true);
    s.applyLive(msg(2), true);
    s.clear();
    s.applyLive(msg(2), true);
    s.applyLive(msg(3), true);
    expect(kinds()).toEqual(['message:1', 'message:2', 'remove:1', 'remove:2', 'message:3']);
  });

  describe('rev gaps (live events the gateway lost are not redelivered)', () => {
    /** A store caught up to rev `cursor`, holding messages 1..3 (revs 1..3). */
    function caughtUp(cursor = 3) {
      const t = store();
      t.s.beginSync();
      t.s.loadNewest([msg(3), msg(2), msg(1)], true);
      t.s.cursor = cursor;
      t.s.endSync();
      return t;
    }
    const react = (rev: number) =>
      ({ type: 'reaction', rev, userId: PEER, emoji: '👍', added: true, at: `t${rev}` }) as const;

    it('live events whose revs run on from the cursor leave no gap and carry the cursor along', () => {
      const { s } = caughtUp();
      s.applyLive(msg(4), true);
      s.applyDelta(id(4), react(5));
      s.noteLive([5]);
      s.applyDelta(id(1), { type: 'edit', rev: 6, content: 'edited', editedAt: 't6' });
      s.noteLive([6]);
      s.remove(id(2), 7);
      s.noteLive([7]);
      expect(s.hasRevGap).toBe(false);
      expect(s.cursor).toBe(7);
    });

    it('a rev skipped is a gap, and the cursor stays below it', () => {
      const { s } = caughtUp();
      s.applyDelta(id(1), react(5)); // rev 4 never came
      s.noteLive([5]);
      expect(s.hasRevGap).toBe(true);
      expect(s.cursor).toBe(3);
      // Later events do not move the cursor past the hole either.
      s.applyLive(msg(4, { rev: 6 }), true);
      expect(s.hasRevGap).toBe(true);
      expect(s.cursor).toBe(3);
    });

    it('the missing rev arriving late (out of order) closes the gap: nothing to catch up', () => {
      const { s } = caughtUp();
      s.applyDelta(id(1), react(5));
      s.noteLive([5]);
      expect(s.hasRevGap).toBe(true);
      s.applyLive(msg(4), true);
      expect(s.hasRevGap).toBe(false);
      expect(s.cursor).toBe(5);
    });

    it('a receipt with `revs` covers all of them; one with only `rev` (its highest) leaves the others to the feed', () => {
      const { s } = caughtUp();
      s.noteLive([4, 5, 6]); // a read of three messages
      expect(s.hasRevGap).toBe(false);
      expect(s.cursor).toBe(6);
      s.noteLive([9]); // a read of three more, without `revs`: 7 and 8 are not known to be it
      expect(s.hasRevGap).toBe(true);
      expect(s.cursor).toBe(6);
    });

    it('the cursor jump of a catch-up clears the gaps below it and takes up the live revs that continue it', () => {
      const { s } = caughtUp();
      s.noteLive([5]);
      s.noteLive([8]);
      s.noteLive([10]);
      expect(s.hasRevGap).toBe(true);
      s.cursor = 7; // the feed answered rev 7: 4 and 6 were never for me, 5 is passed
      expect(s.hasRevGap).toBe(true); // 9 is still missing
      expect(s.cursor).toBe(8);
      s.cursor = 9;
      expect(s.hasRevGap).toBe(false);
      expect(s.cursor).toBe(10);
    });

    it('a live message held for a missing seq does not move the cursor until it is applied', () => {
      const { s } = caughtUp();
      expect(s.applyLive(msg(5), true)).toBe('gap');
      expect(s.cursor).toBe(3);
      expect(s.hasRevGap).toBe(false); // the seq gap is what waits; the rev follows once it is shown
      s.applyLive(msg(4), true);
      expect(s.cursor).toBe(5);
      expect(s.hasRevGap).toBe(false);
    });
  });
});
