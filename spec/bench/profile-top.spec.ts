import { expect } from 'chai';
import { selfTimes } from '../../bench/profile-top.js';

const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });

/** A literal profile: three nodes, five samples with their time deltas in microseconds. */
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(idle)', '', -1) },
    { id: 2, callFrame: frame('broadcast', 'file:///x/dist/server/hub.js', 69) },
    { id: 3, callFrame: frame('layout', 'file:///x/node_modules/log4js/lib/layouts.js', 9) },
  ],
  startTime: 0,
  endTime: 100,
  samples: [2, 2, 3, 1, 2],
  timeDeltas: [10, 20, 5, 50, 15],
};

describe('bench profile-top', () => {
  it('sums self time per function and line, from the sample deltas', () => {
    expect(Object.fromEntries(selfTimes(profile))).to.deep.equal({
      'broadcast hub.js:70': 45,
      'layout layouts.js:10': 5,
      '(idle)': 50,
    });
  });

  it('sums per project file or package with byFile', () => {
    expect(Object.fromEntries(selfTimes(profile, true))).to.deep.equal({
      'server/hub.js': 45,
      'node_modules/log4js': 5,
      '(idle)': 50,
    });
  });
});
