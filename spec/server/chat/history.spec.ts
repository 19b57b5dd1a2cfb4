/**
 * The boxes of messages kept for offline accounts (server/chat/history.ts): each box in id order,
 * and each sender's count in all boxes kept right through adds, takes, expiry and drops.
 */
import { expect } from 'chai';
import { Boxes, type Kept } from '../../../server/chat/history.js';

const kept = (id: number, from: string, to: string, ts = 1000 * id): Kept => ({ id, ts, from, to, text: `${id}` });

describe('Boxes', () => {
  it("counts each sender's messages in every box, through takes, expiry and drops", () => {
    const boxes = new Boxes();
    boxes.add('dave', kept(1, 'alice', 'dave'));
    boxes.add('erin', kept(2, 'alice', 'erin'));
    boxes.add('dave', kept(3, 'bob', 'dave'));
    boxes.add('erin', kept(4, 'alice', 'erin'));
    expect([boxes.fromSender('alice'), boxes.fromSender('bob'), boxes.fromSender('carol')]).to.deep.equal([3, 1, 0]);
    expect(boxes.countFrom('erin', 'alice')).to.equal(2);
    expect(boxes.recipientsOf('alice')).to.deep.equal(['dave', 'erin']);

    expect(boxes.dropTaken('dave', 1).map((m) => m.id)).to.deep.equal([1]);
    expect(boxes.fromSender('alice')).to.equal(2);
    expect(boxes.expire('erin', 3000).map((m) => m.id)).to.deep.equal([2]);
    expect(boxes.fromSender('alice')).to.equal(1);
    expect(boxes.filter('dave', (m) => m.id !== 3).map((m) => m.id)).to.deep.equal([3]);
    expect(boxes.fromSender('bob')).to.equal(0);
    expect([...boxes.users()]).to.deep.equal(['erin']);
    expect([boxes.recipientsOf('alice'), boxes.recipientsOf('bob')]).to.deep.equal([['erin'], []]);
    // Nothing to drop: nothing changes.
    expect(boxes.dropTaken('nobody', 99)).to.deep.equal([]);
    expect(boxes.expire('erin', 0)).to.deep.equal([]);
    expect(boxes.fromSender('alice')).to.equal(1);
  });

  it('keeps a box in id order when a message comes after a newer one (two servers keeping at once)', () => {
    const boxes = new Boxes();
    for (const id of [5, 7, 6]) boxes.add('dave', kept(id, 'alice', 'dave'));
    expect(boxes.get('dave')!.map((m) => m.id)).to.deep.equal([5, 6, 7]);
    expect(boxes.dropTaken('dave', 7)).to.have.length(3);
    expect(boxes.size).to.equal(0);
  });
});
