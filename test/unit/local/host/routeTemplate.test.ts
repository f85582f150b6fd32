import { describe, expect, it } from 'vitest';
import {
  compareRoutePrecedence,
  matchRoute,
  parseRouteTemplate,
  RouteTemplateError,
} from '../../../../local/host/http/routeTemplate.js';

describe('route templates', () => {
  it.each([
    ['hello', '/hello', {}],
    ['hello', '/HELLO', {}],
    ['hello/{name}', '/hello/Ada', { name: 'Ada' }],
    ['hello/{name?}', '/hello', {}],
    ['hello/{name:alpha?}', '/hello/Ada', { name: 'Ada' }],
    ['items/{id:int}', '/items/42', { id: '42' }],
    ['items/{id:int:min(10)}', '/items/10', { id: '10' }],
    ['items/{page=1}', '/items', { page: '1' }],
    ['files/{name}.{ext}', '/files/report.final.pdf', { name: 'report.final', ext: 'pdf' }],
    ['proxy/{*rest}', '/proxy/a/b%2Fc/d', { rest: 'a/b/c/d' }],
    ['proxy/{*rest}', '/proxy', {}],
    ['x/{id:guid}', '/x/0f8fad5b-d9cb-469f-a165-70867728950e', { id: '0f8fad5b-d9cb-469f-a165-70867728950e' }],
    ['x/{v:regex(^[a-z]{{2}}$)}', '/x/ab', { v: 'ab' }],
    ['x/{v:length(2,3)}', '/x/abc', { v: 'abc' }],
    ['x/{flag:bool}', '/x/TRUE', { flag: 'TRUE' }],
    ['x/{n:range(1,5)}', '/x/5', { n: '5' }],
    ['hello/{name}', '/hello/J%C3%BCrgen', { name: 'Jürgen' }],
  ])('%s matches %s', (template, path, params) => {
    expect(matchRoute(parseRouteTemplate(template), path)).toEqual(params);
  });

  it.each([
    ['hello', '/hello/extra'],
    ['hello/{name}', '/hello'],
    ['hello/{name:alpha}', '/hello/123'],
    ['items/{id:int}', '/items/4.5'],
    ['items/{id:int}', '/items/99999999999'],
    ['items/{id:int:min(10)}', '/items/9'],
    ['x/{id:guid}', '/x/not-a-guid'],
    ['x/{v:length(2,3)}', '/x/abcd'],
    ['x/{n:range(1,5)}', '/x/6'],
    ['hello/{name}', '/hello/%E0%A4%A'],
  ])('%s does not match %s', (template, path) => {
    expect(matchRoute(parseRouteTemplate(template), path)).toBeUndefined();
  });

  it.each([
    ['a/{x', 'unclosed'],
    ['a/{x}/{x}', 'appears twice'],
    ['a/{*rest}/b', 'catch-all'],
    ['a/{x?}/b', 'optional parameter can only be followed'],
    ['a/{x:unknown}', 'unknown constraint "unknown"'],
    ['a/{x}{y}', 'two parameters'],
    ['a//b', 'empty segment'],
    ['a/{1x}', 'not a valid identifier'],
  ])('rejects %s naming the problem', (template, problem) => {
    expect(() => parseRouteTemplate(template)).toThrow(RouteTemplateError);
    expect(() => parseRouteTemplate(template)).toThrow(problem);
  });

  it('orders literal segments before constrained, plain and catch-all parameters', () => {
    const templates = ['items/{*rest}', 'items/{id}', 'items/{id:int}', 'items/new'].map(parseRouteTemplate);
    const sorted = [...templates].sort(compareRoutePrecedence).map((t) => t.template);
    expect(sorted).toEqual(['items/new', 'items/{id:int}', 'items/{id}', 'items/{*rest}']);
  });
});
