// The core's parsed rules as the contract's tables, diffs, and the restore input the real service writes.
import { describe, expect, it } from 'vitest';
import { diffRuleSets, parseIptablesSave, toSaveText } from '../../../src-pod/istio-iptables';
import { restoreText, toRulesDiff, toTables } from '../../../src-main/bridge/rules-view';
import { expectedRulesText } from './fake-lab-service';

const LIVE = `*nat
:PREROUTING ACCEPT [10:600]
:OUTPUT ACCEPT [20:1200]
:ISTIO_OUTPUT - [0:0]
:ISTIO_REDIRECT - [0:0]
[3:180] -A OUTPUT -j ISTIO_OUTPUT
[2:120] -A ISTIO_OUTPUT -j ISTIO_REDIRECT
[2:120] -A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
COMMIT
`;

describe('rules view', () => {
  it('tables in packet order, built-in chains first, rules numbered with target and counters', () => {
    const tables = toTables(parseIptablesSave(LIVE));
    expect(tables.map((t) => t.name)).toEqual(['raw', 'mangle', 'nat']);
    const nat = tables[2];
    expect(nat.chains.map((c) => c.name)).toEqual(['PREROUTING', 'OUTPUT', 'ISTIO_OUTPUT', 'ISTIO_REDIRECT']);
    expect(nat.chains[1]).toEqual({
      name: 'OUTPUT',
      policy: 'ACCEPT',
      counters: { packets: 20, bytes: 1200 },
      rules: [{ number: 1, text: '-A OUTPUT -j ISTIO_OUTPUT', target: 'ISTIO_OUTPUT', counters: { packets: 3, bytes: 180 } }],
    });
    expect(JSON.parse(JSON.stringify(tables))).toEqual(tables);
  });

  it('a diff against the expected rules names what is missing', () => {
    const diff = diffRuleSets(expectedRulesText(), LIVE);
    const view = toRulesDiff('default', 'sleep', diff, 'text');
    expect(view.equal).toBe(false);
    expect(view.chains.find((c) => c.chain === 'ISTIO_INBOUND')).toMatchObject({ status: 'removed' });
  });

  it('restore input writes every shown table, so hand-made raw/mangle rules are flushed too', () => {
    const text = restoreText(parseIptablesSave(expectedRulesText()), toSaveText);
    expect(text).toContain('*raw\nCOMMIT');
    expect(text).toContain('*mangle\nCOMMIT');
    expect(diffRuleSets(expectedRulesText(), text).equal).toBe(true);
  });
});
