import { describe, expect, it } from 'vitest';
import { InvalidActionError } from '../../src/envs/errors.js';
import { Box, Discrete, validateAction } from '../../src/envs/spaces.js';
import { ValidationError } from '../../src/errors.js';
import { npRandom } from '../../src/rng/index.js';

describe('Discrete', () => {
  it('holds the integers start .. start + n - 1', () => {
    const d = new Discrete(3, -1);
    expect([-2, -1, 0, 1, 2].map((x) => d.contains(x))).toEqual([false, true, true, true, false]);
    expect(d.contains(0.5)).toBe(false);
    expect(d.contains('1')).toBe(false);
    expect(d.contains(Number.NaN)).toBe(false);
    expect(d.toJSON()).toEqual({ type: 'Discrete', n: 3, start: -1 });
    expect(String(d)).toBe('Discrete(3, start=-1)');
    expect(String(new Discrete(2))).toBe('Discrete(2)');
  });

  it('rejects a non-positive or non-integer n', () => {
    expect(() => new Discrete(0)).toThrow(ValidationError);
    expect(() => new Discrete(2.5)).toThrow(/positive integer/);
    expect(() => new Discrete(2, 0.5)).toThrow(/start/);
  });

  it('samples as Gymnasium: start + integers(n)', () => {
    // Gymnasium 1.4 / numpy 2.4: [int(Discrete(5, start=-2, seed=42).sample()) for _ in range(8)].
    const rng = npRandom(42).rng;
    const d = new Discrete(5, -2);
    expect(Array.from({ length: 8 }, () => d.sample(rng))).toEqual([-2, 1, 1, 0, 0, 2, -2, 1]);
  });

  it('every sample is an element', () => {
    const rng = npRandom(3).rng;
    const d = new Discrete(7, 10);
    for (let i = 0; i < 1000; i++) expect(d.contains(d.sample(rng))).toBe(true);
  });
});

describe('Box', () => {
  it('broadcasts scalar bounds, casts them to float32 and infers the shape', () => {
    const b = new Box(-1, 2, [2, 3]);
    expect(b.size).toBe(6);
    expect(b.shape).toEqual([2, 3]);
    expect(Array.from(b.low)).toEqual([-1, -1, -1, -1, -1, -1]);
    const c = new Box([0.1, -Infinity], [0.2, Infinity]);
    expect(c.shape).toEqual([2]);
    expect(c.low[0]).toBe(Math.fround(0.1));
    expect(c.boundedBelow).toEqual([true, false]);
    expect(c.boundedAbove).toEqual([true, false]);
    expect(c.isBounded()).toBe(false);
    expect(new Box(0, 1).shape).toEqual([1]);
    expect(new Box(0, 1).isBounded('both')).toBe(true);
  });

  it('rejects inconsistent bounds', () => {
    expect(() => new Box([1], [0])).toThrow(/low must be <= high/);
    expect(() => new Box([0, 0], [1])).toThrow(/length 1, expected 2/);
    expect(() => new Box(Number.NaN, 1)).toThrow(ValidationError);
    expect(() => new Box(0, 1e39)).toThrow(/float32 range/);
    expect(() => new Box(Infinity, Infinity)).toThrow(/cannot be Infinity/);
  });

  it('describes itself readably in JSON (infinite bounds as strings)', () => {
    const b = new Box([-4.8, -Infinity], [4.8, Infinity]);
    expect(JSON.parse(JSON.stringify(b))).toEqual({
      type: 'Box',
      dtype: 'float32',
      shape: [2],
      low: [Math.fround(-4.8), '-inf'],
      high: [Math.fround(4.8), 'inf'],
    });
    expect(String(new Box(-1, 1, [3]))).toBe('Box(-1, 1, (3,), float32)');
  });

  it('contains: float32-cast values within [low, high] and of the right length', () => {
    const b = new Box([-1, -2], [1, 2]);
    expect(b.contains([0, 2])).toBe(true);
    expect(b.contains(new Float32Array([1, -2]))).toBe(true);
    expect(b.contains([0, 2.0000001])).toBe(true); // rounds to 2 in float32, as numpy's cast does
    expect(b.contains([0, 2.001])).toBe(false);
    expect(b.contains([0])).toBe(false);
    expect(b.contains([0, Number.NaN])).toBe(false);
    expect(b.contains(0)).toBe(false);
    expect(b.contains(['0', 1])).toBe(false);
  });

  it('samples bounded elements from uniform(low, high), as Gymnasium', () => {
    // Gymnasium 1.4: Box(-1.0, 2.0, shape=(2, 3), seed=1).sample().tolist().
    const b = new Box(-1, 2, [2, 3]);
    const s = b.sample(npRandom(1).rng);
    expect(s).toBeInstanceOf(Float32Array);
    expect(Array.from(s)).toEqual([
      0.535464882850647, 1.851391077041626, -0.5675211548805237, 1.845948338508606, -0.06450564414262772,
      0.2699793577194214,
    ]);
  });

  it('samples unbounded elements from normal() before the bounded ones, as Gymnasium', () => {
    // Gymnasium 1.4: Box(low=[-1, -inf, 0], high=[2, inf, 1e-3], dtype=float32, seed=7), three samples.
    const b = new Box([-1, -Infinity, 0], [2, Infinity, 1e-3]);
    const rng = npRandom(7).rng;
    const got = [0, 1, 2].map(() => Array.from(b.sample(rng)));
    expect(got).toEqual([
      [1.6916414499282837, 0.001230153371579945, 0.0007756857085041702],
      [-0.09950114786624908, -0.8905918598175049, 0.0008735535084269941],
      [1.4636852741241455, 0.0601436011493206, 0.0007970694568939507],
    ]);
  });

  it('samples half-bounded elements with exponential draws as Gymnasium does', () => {
    // Known answer: Gymnasium 1.x `Box(low=[0, 0, -inf, -inf], high=[1, inf, 2, inf]).seed(0)`
    // then three `sample()` calls, run with numpy 2.4 (unbounded: normal; bounded below:
    // exponential + low; bounded above: high − exponential; bounded: uniform).
    const b = new Box([0, 0, -Infinity, -Infinity], [1, Infinity, 2, Infinity]);
    const rng = npRandom(0).rng;
    const expected = [
      [0.016527635976672173, 1.019597053527832, 1.9801933765411377, 0.1257302165031433],
      [0.7294965386390686, 1.629940390586853, 1.326417088508606, -0.5356693863868713],
      [0.0027385002467781305, 6.057753086090088, -1.2864282131195068, -0.7037352323532104],
    ];
    for (const row of expected) expect(Array.from(b.sample(rng))).toEqual(row);
  });
});

describe('validateAction', () => {
  const d = new Discrete(3);
  const b = new Box(-2, 2, [1]);

  it('accepts valid actions, including finite Box values out of bounds (the env clips them)', () => {
    expect(() => validateAction(d, 2)).not.toThrow();
    expect(() => validateAction(b, [1.5])).not.toThrow();
    expect(() => validateAction(b, new Float32Array([7]))).not.toThrow();
  });

  it('names what is wrong with a Discrete action', () => {
    expect(() => validateAction(d, 3)).toThrow(InvalidActionError);
    expect(() => validateAction(d, 3)).toThrow('action 3 is out of range: expected an integer in [0, 2]');
    expect(() => validateAction(d, -1)).toThrow(/out of range/);
    expect(() => validateAction(d, 1.5)).toThrow('non-integer 1.5');
    expect(() => validateAction(d, Number.NaN)).toThrow(/non-integer NaN/);
    expect(() => validateAction(d, '1')).toThrow(/got the string "1"/);
    expect(() => validateAction(d, [1])).toThrow(/got an array of length 1/);
    expect(() => validateAction(d, null)).toThrow(/got null/);
  });

  it('names what is wrong with a Box action', () => {
    expect(() => validateAction(b, 1)).toThrow(InvalidActionError);
    expect(() => validateAction(b, 1)).toThrow(/must be an array of 1 number\(s\).*got number 1/);
    expect(() => validateAction(b, [1, 2])).toThrow('action has length 2, expected 1');
    expect(() => validateAction(b, [])).toThrow(/length 0/);
    expect(() => validateAction(b, [Number.NaN])).toThrow('action[0] must be finite, got NaN');
    expect(() => validateAction(b, [Infinity])).toThrow('action[0] must be finite, got Infinity');
    expect(() => validateAction(b, ['1'])).toThrow(/action\[0\] must be a number/);
  });

  it('reports the action field for the API layer', () => {
    try {
      validateAction(d, 9);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      expect((e as ValidationError).details).toEqual({ field: 'action' });
    }
  });
});
