import { describe, expect, it } from 'vitest';
import { NamespaceFilter } from './namespace-filter.js';

describe('the collector namespace filter', () => {
  it('includes, excludes and never captures system namespaces', () => {
    const f = new NamespaceFilter({ include: ['shop.*', '*.audit'], exclude: ['shop.tmp*'] });
    expect(f.captures('shop', 'orders')).toBe(true);
    expect(f.captures('shop', 'tmp_1')).toBe(false);
    expect(f.captures('crm', 'audit')).toBe(true);
    expect(f.captures('crm', 'people')).toBe(false);
    expect(f.captures('shop', 'system.views')).toBe(false);
    expect(f.captures('admin', 'audit')).toBe(false);
    expect(f.captures('shop', null)).toBe(true);
    expect(f.capturesDb('crm')).toBe(true); // *.audit may match there
  });

  it('answers --include and --exclude patterns of 40 stars whose tail does not match (no backtracking)', () => {
    const many = `${'a*'.repeat(40)}.x`;
    const f = new NamespaceFilter({ include: ['*'], exclude: [many] });
    expect(f.captures('a'.repeat(60), 'y')).toBe(true);
    expect(new NamespaceFilter({ include: [many], exclude: [] }).captures('a'.repeat(60), 'y')).toBe(false);
  });
});
