import { describe, expect, it } from 'vitest';
import type { RestoreError } from './errors.js';
import { checkMappingsUsed, mapNamespace, selectNamespaces, validateMappings } from './namespace-scope.js';

const known = ['shop.orders', 'shop.items', 'shop.a.b', 'crm.people', 'crm.orders'];
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as RestoreError).code;
  }
};

describe('namespace scope', () => {
  it('selects everything, exact names and wildcards', () => {
    expect(selectNamespaces(known, [])).toEqual([...known].sort());
    expect(selectNamespaces(known, ['shop.*'])).toEqual(['shop.a.b', 'shop.items', 'shop.orders']);
    expect(selectNamespaces(known, ['*.orders', 'crm.people'])).toEqual(['crm.orders', 'crm.people', 'shop.orders']);
  });

  it('names a pattern that matches nothing', () => {
    expect(() => selectNamespaces(known, ['shop.order'])).toThrow(/shop\.order/);
    expect(codeOf(() => selectNamespaces(known, ['nope.*']))).toBe('UNKNOWN_NAMESPACE');
    expect(codeOf(() => selectNamespaces(known, ['justadb']))).toBe('BAD_OPTIONS');
  });

  it('maps namespaces with captured wildcards, first match wins', () => {
    const maps = [
      { from: 'shop.orders', to: 'archive.orders_at_t' },
      { from: 'shop.*', to: 'shop_copy.*' },
    ];
    expect(mapNamespace('shop.orders', maps)).toBe('archive.orders_at_t');
    expect(mapNamespace('shop.a.b', maps)).toBe('shop_copy.a.b');
    expect(mapNamespace('crm.people', maps)).toBe('crm.people');
    expect(codeOf(() => validateMappings([{ from: 'shop.*', to: 'copy.x' }]))).toBe('BAD_OPTIONS');
  });

  it('matches --ns and --ns-from patterns of many stars at once (no backtracking)', () => {
    const stars = `${'*'.repeat(20)}${'o*'.repeat(20)}.nope`;
    expect(codeOf(() => selectNamespaces(known, [stars]))).toBe('UNKNOWN_NAMESPACE');
    expect(mapNamespace('shop.orders', [{ from: `${'*o'.repeat(20)}`, to: 'x.y' }])).toBe('shop.orders');
    // The first dot after a star separates the database: a.b.c is database a, collection b.c.
    expect(mapNamespace('shop.a.b', [{ from: '*.*', to: '*_copy.*' }])).toBe('shop_copy.a.b');
  });

  it('refuses a mapping that maps none of the restored namespaces, naming them', () => {
    const selected = selectNamespaces(known, ['shop.*']);
    expect(() => checkMappingsUsed(selected, [{ from: 'shp.*', to: 'copy.*' }])).toThrow(/--ns-from "shp\.\*".*maps nothing.*shop\.a\.b, shop\.items, shop\.orders/);
    expect(codeOf(() => checkMappingsUsed(selected, [{ from: 'crm.*', to: 'copy.*' }]))).toBe('UNKNOWN_NAMESPACE');
    // Shadowed: every namespace the second matches is taken by the first.
    expect(() => checkMappingsUsed(selected, [{ from: 'shop.*', to: 'a.*' }, { from: 'shop.orders', to: 'b.orders' }])).toThrow(/earlier --ns-from "shop\.\*"/);
    expect(codeOf(() => checkMappingsUsed(selected, [{ from: 'shop.orders', to: 'b.orders' }, { from: 'shop.*', to: 'a.*' }]))).toBe('ok');
  });
});
