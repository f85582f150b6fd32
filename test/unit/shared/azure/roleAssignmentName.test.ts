import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ROLE_ASSIGNMENT_NAMESPACE,
  roleAssignmentName,
  roleAssignmentNameInput,
} from '../../../../shared/azure/roleAssignmentName.js';

/** UUID v5 written out from RFC 9562 §5.5, independently of the library the code uses. */
function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1')
    .update(Buffer.concat([ns, Buffer.from(name, 'utf8')]))
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const SCOPE =
  '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-west/providers/Microsoft.Network/virtualNetworks/vnet-west';
const PRINCIPAL = '8CF75CDF-DA01-4884-9107-DCCA41EF1BC0';
const ROLE =
  '/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7';

describe('role assignment names', () => {
  it('the independent v5 matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('is the v5 UUID of scope|principal|roleGuid, lower-cased, under the fixed namespace (fixed vector)', () => {
    expect(roleAssignmentNameInput(SCOPE, PRINCIPAL, ROLE)).toBe(
      `${SCOPE.toLowerCase()}|${PRINCIPAL.toLowerCase()}|4d97b98b-1d4f-4787-a291-c67834d212e7`,
    );
    const name = roleAssignmentName(SCOPE, PRINCIPAL, ROLE);
    expect(name).toBe(uuidV5(roleAssignmentNameInput(SCOPE, PRINCIPAL, ROLE), ROLE_ASSIGNMENT_NAMESPACE));
    // Pinned: changing the namespace or the input format would orphan assignments made earlier.
    expect(name).toBe('42f49375-3ecc-5034-817a-046c5b625de0');
  });

  it('ignores case and a trailing slash, and accepts the role as a bare GUID or any scope form', () => {
    const name = roleAssignmentName(SCOPE, PRINCIPAL, ROLE);
    expect(roleAssignmentName(`${SCOPE.toUpperCase()}/`, PRINCIPAL.toLowerCase(), ROLE.toUpperCase())).toBe(name);
    expect(roleAssignmentName(SCOPE, PRINCIPAL, '4d97b98b-1d4f-4787-a291-c67834d212e7')).toBe(name);
    expect(
      roleAssignmentName(
        SCOPE,
        PRINCIPAL,
        '/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7',
      ),
    ).toBe(name);
  });

  it('agrees with the RFC algorithm and changes with every component (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.uuid(), fc.uuid(), (scopeTail, principal, role) => {
        const scope = `/subscriptions/${principal}/x${scopeTail.replace(/\//g, '_')}`;
        const name = roleAssignmentName(scope, principal, role);
        expect(name).toBe(uuidV5(roleAssignmentNameInput(scope, principal, role), ROLE_ASSIGNMENT_NAMESPACE));
        expect(name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        if (principal.toLowerCase() !== role.toLowerCase()) {
          expect(roleAssignmentName(scope, role, principal)).not.toBe(name);
        }
        expect(roleAssignmentName(`${scope}/child`, principal, role)).not.toBe(name);
      }),
    );
  });
});
