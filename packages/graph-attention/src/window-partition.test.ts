import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { leakedTensors } from './internal/test-helpers.js';
import {
  padToWindowMultiple,
  resolveWindowSize,
  windowPartition,
  windowReverse,
} from './window-partition.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('windowPartition / windowReverse', () => {
  it('puts each pixel in the window and position given by index arithmetic', () => {
    const [batch, height, width, channels] = [2, 6, 9, 2];
    const images = tf.reshape(tf.range(0, batch * height * width * channels), [
      batch,
      height,
      width,
      channels,
    ]);
    const windows = windowPartition(images, [2, 3]).arraySync() as number[][][][];
    expect(windows.length).toBe(batch * 3 * 3);
    for (let b = 0; b < batch; b++) {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const index = b * 9 + Math.floor(y / 2) * 3 + Math.floor(x / 3);
          const expected = ((b * height + y) * width + x) * channels + 1;
          expect(windows[index][y % 2][x % 3][1]).toBe(expected);
        }
      }
    }
  });

  it('round-trips and leaves no tensors behind', () => {
    const images = tf.randomNormal([2, 14, 21, 3], 0, 1, 'float32', 5);
    const leaked = leakedTensors(() => {
      const windows = windowPartition(images, 7);
      const back = windowReverse(windows, 14, 21);
      expect(windows.shape).toEqual([12, 7, 7, 3]);
      expect(Array.from(back.dataSync())).toEqual(Array.from(images.dataSync()));
      tf.dispose([windows, back]);
    });
    expect(leaked).toBe(0);
  });

  it('pads to window multiples with zeros at the bottom and right', () => {
    const padded = padToWindowMultiple(tf.ones([1, 10, 14, 1]), 7);
    expect(padded.shape).toEqual([1, 14, 14, 1]);
    expect(tf.sum(padded).dataSync()[0]).toBe(140);
    expect(padded.arraySync()[0][10][0][0]).toBe(0);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => windowPartition(tf.zeros([1, 10, 14, 1]), 7)).toThrow(
      /windowPartition: image 10x14 is not a multiple/,
    );
    expect(() => windowPartition(tf.zeros([10, 14, 1]), 7)).toThrow(TypeError);
    expect(() => windowReverse(tf.zeros([3, 7, 7, 1]), 14, 14)).toThrow(/windowReverse: 3 windows/);
    expect(() => resolveWindowSize(0, 'f')).toThrow(/f: window sizes must be positive integers/);
  });
});
