/**
 * The template as a whole, without a Bicep compiler: every .bicep file is syntactically valid (tree-sitter Bicep
 * grammar), every file it loads or module it references exists, registry modules are pinned Azure Verified Modules,
 * no secret is read or output, and azure.yaml, the auth and Cosmos configuration are what the app expects.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  bicepFiles,
  blankExtensionStatements,
  callArguments,
  callsOf,
  moduleReferences,
  parseBicep,
  parseBicepSource,
  stringLiteral,
  syntaxErrors,
  type BicepFile,
} from './support/bicep.js';
import { loadAuthConfig, loadCosmosConfig, repoRoot } from './support/config.js';
import { STATE_CONTAINERS } from '../../../shared/state/containers.js';
import { Roles } from '../../../functions/lib/http.js';

const AVM_REFERENCE = /^br\/public:avm\/(res|ptn|utl)\/[a-z0-9-]+\/[a-z0-9-]+:\d+\.\d+\.\d+$/;

let files: BicepFile[] = [];
beforeAll(async () => {
  files = await Promise.all(bicepFiles().map((f) => parseBicep(f)));
});

describe('Bicep syntax (tree-sitter grammar)', () => {
  it('finds the template files', () => {
    expect(files.map((f) => f.relative)).toEqual(
      expect.arrayContaining(['infra/main.bicep', 'infra/app/api.bicep', 'infra/app/rbac-targets.bicep']),
    );
  });

  it('parses every .bicep file without syntax errors', () => {
    for (const file of files) expect(syntaxErrors(file.root), file.relative).toEqual([]);
  });

  it('reports a syntax error when there is one (the check can fail)', async () => {
    const broken = await parseBicepSource("param a string = 'x'\nvar b = {\n  c: [1, 2\n}\n");
    expect(syntaxErrors(broken).length).toBeGreaterThan(0);
  });

  it('blanks only extension statements, keeping positions', () => {
    const source = "extension 'br:mcr.microsoft.com/x:1.0.0'\nparam a string\n";
    const blanked = blankExtensionStatements(source);
    expect(blanked.length).toBe(source.length);
    expect(blanked).toMatch(/^\s+\nparam a string\n$/);
  });
});

describe('references between files', () => {
  it('loads only JSON files that exist', () => {
    for (const file of files) {
      for (const call of callsOf(file.root, 'loadJsonContent')) {
        const target = stringLiteral(callArguments(call)[0]);
        expect(target, `${file.relative}: loadJsonContent needs a literal path`).toBeDefined();
        if (target) expect(existsSync(path.join(repoRoot, path.dirname(file.relative), target)), target).toBe(true);
      }
    }
  });

  it('references local modules that exist and registry modules that are pinned Azure Verified Modules', () => {
    const registry: string[] = [];
    for (const file of files) {
      for (const reference of moduleReferences(file.root)) {
        if (reference.startsWith('br/') || reference.startsWith('br:')) {
          registry.push(reference);
          expect(reference, file.relative).toMatch(AVM_REFERENCE);
        } else {
          expect(existsSync(path.join(repoRoot, path.dirname(file.relative), reference)), reference).toBe(true);
        }
      }
    }
    expect(registry.length).toBeGreaterThanOrEqual(8);
  });

  it('uses the Microsoft Graph extension only in the app registration module, pinned', () => {
    for (const file of files) {
      const lines = file.source.split('\n').filter((l) => /^extension\s/.test(l));
      if (file.relative === 'infra/app/entra-app.bicep') {
        expect(lines).toEqual(["extension 'br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0'"]);
      } else {
        expect(lines, file.relative).toEqual([]);
      }
    }
  });
});

describe('no secrets', () => {
  it('never lists keys, builds key-based connection strings or outputs secrets', () => {
    for (const file of files) {
      expect(file.source, file.relative).not.toMatch(
        /listKeys|listConnectionStrings|AccountKey=|SharedAccessKey|@secure\(\)\s*output/,
      );
    }
  });

  it('turns local auth and shared keys off', () => {
    const main = files.find((f) => f.relative === 'infra/main.bicep');
    expect(main).toBeDefined();
    const source = main?.source ?? '';
    expect(source).toContain('allowSharedKeyAccess: false');
    expect(source).toContain('disableLocalAuthentication: true');
    expect(source.match(/disableLocalAuth: true/g)?.length).toBe(3); // Log Analytics, Application Insights, outcome topic
  });
});

describe('App Service authentication (infra/config/auth.json)', () => {
  const auth = loadAuthConfig();

  it('defines the app roles FleetMesh.Operator and FleetMesh.Reader for users and applications', () => {
    expect(auth.appRoles.map((r) => r.value).sort()).toEqual(['FleetMesh.Operator', 'FleetMesh.Reader']);
    expect(new Set(auth.appRoles.map((r) => r.id)).size).toBe(auth.appRoles.length);
    for (const role of auth.appRoles) {
      expect(role.allowedMemberTypes.sort()).toEqual(['Application', 'User']);
      expect(role.isEnabled).toBe(true);
    }
  });

  it('rejects unauthenticated calls except liveness and the Event Grid webhook (key-protected)', () => {
    expect(auth.unauthenticatedClientAction).toBe('Return401');
    expect([...auth.excludedPaths].sort()).toEqual(['/api/health', '/runtime/webhooks/eventgrid']);
  });

  it('the HTTP functions check the same role values the app registration defines', () => {
    expect(auth.appRoles.map((r) => r.value).sort()).toEqual([Roles.operator, Roles.reader].sort());
  });
});

describe('Cosmos DB containers (infra/config/cosmos.json)', () => {
  const cosmos = loadCosmosConfig();

  it('creates the database and containers the app uses, with TTL on the processed-events container', () => {
    expect(cosmos.database).toBe('fleetmesh');
    expect(cosmos.containers.map((c) => c.name).sort()).toEqual(['events', 'meshes', 'operations']);
    expect(cosmos.containers.find((c) => c.name === 'meshes')?.partitionKey).toBe('/profile');
    expect(cosmos.containers.filter((c) => c.ttl !== 'off').map((c) => c.name)).toEqual(['events']);
  });

  it('creates every container the state store opens, with the same partition key and TTL switch', () => {
    const deployed = cosmos.containers.map((c) => ({
      name: c.name,
      partitionKey: c.partitionKey,
      ttl: c.ttl !== 'off',
    }));
    const expected = STATE_CONTAINERS.map((c) => ({
      name: c.id,
      partitionKey: c.partitionKeyPath,
      ttl: c.defaultTtl !== undefined,
    }));
    expect(deployed.sort((a, b) => a.name.localeCompare(b.name))).toEqual(
      expected.sort((a, b) => a.name.localeCompare(b.name)),
    );
  });
});

describe('azure.yaml and the hooks', () => {
  const yaml = readFileSync(path.join(repoRoot, 'azure.yaml'), 'utf8');

  it('deploys the root project as a TypeScript Functions service named api', () => {
    expect(yaml).toMatch(/^services:\n {2}api:\n {4}project: \.\n {4}language: ts\n {4}host: function\n/m);
    expect(yaml).toMatch(/^ {2}path: infra\n {2}module: main$/m);
  });

  it('runs hook scripts that exist', () => {
    for (const m of yaml.matchAll(/run: (\.\/[^\s]+)/g)) {
      const script = m[1] ?? '';
      expect(existsSync(path.join(repoRoot, script)), script).toBe(true);
    }
    expect(yaml).toContain('./infra/hooks/postdeploy.sh');
  });

  it('switches the Event Grid subscription on in the postdeploy hook with the parameter main.parameters.json maps', () => {
    const hook = readFileSync(path.join(repoRoot, 'infra/hooks/postdeploy.sh'), 'utf8');
    const parameters = readFileSync(path.join(repoRoot, 'infra/main.parameters.json'), 'utf8');
    expect(hook).toContain('azd env set FLEETMESH_EVENT_SUBSCRIPTION_ENABLED true');
    expect(hook).toContain('azd provision --no-prompt');
    expect(parameters).toContain(
      '"eventSubscriptionEnabled": { "value": "${FLEETMESH_EVENT_SUBSCRIPTION_ENABLED=false}" }',
    );
    expect(yaml).toContain('azd env set FLEETMESH_EVENT_SUBSCRIPTION_ENABLED false'); // postdown: next azd up starts over
  });

  it('maps every main.bicep parameter without a default from the azd environment', () => {
    const main = files.find((f) => f.relative === 'infra/main.bicep');
    const parameters = z
      .object({ parameters: z.record(z.string(), z.unknown()) })
      .parse(JSON.parse(readFileSync(path.join(repoRoot, 'infra/main.parameters.json'), 'utf8')));
    const required = [...(main?.source ?? '').matchAll(/^param (\w+) [\w[\]]+$/gm)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) expect(Object.keys(parameters.parameters), name).toContain(name);
  });
});
