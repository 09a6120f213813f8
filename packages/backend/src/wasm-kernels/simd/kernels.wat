;; Float32 kernels vectorised with WebAssembly SIMD (f32x4), for the wasm backend of TensorFlow.js.
;;
;; All pointers are byte offsets into this module's own memory; the caller copies inputs in and
;; results out. Regenerate simd-module.generated.ts after editing: node scripts/build-simd.mjs
(module
  (memory (export "memory") 1)

  ;; exp(x) for `count` floats at `source`, written at `target` (may equal `source`).
  ;; Processes whole vectors: reads and writes up to 3 floats past `count` (the caller pads).
  ;;
  ;; x = k ln2 + r with k = nearest(x / ln2) and |r| <= ln2 / 2, where k ln2 is subtracted in two
  ;; parts (0.693359375 has 9 significant bits, so k * 0.693359375 is exact for |k| < 2^15) to keep
  ;; r accurate. k is rounded by adding and subtracting 1.5 * 2^23, which also leaves k as an
  ;; integer in the low bits of the sum. exp(r) is its Taylor polynomial of degree 7 (truncation
  ;; error below 1e-8 relative on that interval). 2^k is built in the exponent bits as
  ;; 2^(k >> 1) * 2^(k - (k >> 1)), so both factors stay normal for every k in [-150, 128]: results
  ;; that overflow become Infinity and the subnormal range is rounded once. x is first clamped to
  ;; [-104, 89] (exp is 0 and Infinity in float32 beyond), with pmax/pmin, which keep a NaN first
  ;; operand, so NaN stays NaN. Constants live in locals so that the loop does not rebuild them.
  (func (export "exp") (param $source i32) (param $target i32) (param $count i32)
    (local $end i32) (local $x v128) (local $t v128) (local $k v128) (local $r v128) (local $r2 v128)
    (local $p v128)
    (local $half v128) (local $rest v128)
    (local $low v128) (local $high v128) (local $log2e v128) (local $round v128)
    (local $ln2High v128) (local $ln2Low v128) (local $bias v128)
    (local $c2 v128) (local $c3 v128) (local $c4 v128) (local $c5 v128) (local $c6 v128) (local $c7 v128)
    (local $one v128)
    (local.set $low (v128.const f32x4 -104 -104 -104 -104))
    (local.set $high (v128.const f32x4 89 89 89 89))
    (local.set $log2e (v128.const f32x4 1.44269504089 1.44269504089 1.44269504089 1.44269504089))
    (local.set $round (v128.const f32x4 12582912 12582912 12582912 12582912))
    (local.set $ln2High (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
    (local.set $ln2Low
      (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))
    (local.set $bias (v128.const i32x4 127 127 127 127))
    (local.set $c7 (v128.const f32x4 1.98412698413e-4 1.98412698413e-4 1.98412698413e-4 1.98412698413e-4))
    (local.set $c6 (v128.const f32x4 1.38888888889e-3 1.38888888889e-3 1.38888888889e-3 1.38888888889e-3))
    (local.set $c5 (v128.const f32x4 8.33333333333e-3 8.33333333333e-3 8.33333333333e-3 8.33333333333e-3))
    (local.set $c4 (v128.const f32x4 4.16666666667e-2 4.16666666667e-2 4.16666666667e-2 4.16666666667e-2))
    (local.set $c3 (v128.const f32x4 1.66666666667e-1 1.66666666667e-1 1.66666666667e-1 1.66666666667e-1))
    (local.set $c2 (v128.const f32x4 0.5 0.5 0.5 0.5))
    (local.set $one (v128.const f32x4 1 1 1 1))
    (local.set $end
      (i32.add (local.get $source)
        (i32.shl (i32.and (i32.add (local.get $count) (i32.const 3)) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $source) (local.get $end)))
        (local.set $x
          (f32x4.pmin (f32x4.pmax (v128.load (local.get $source)) (local.get $low)) (local.get $high)))
        ;; t = x * log2(e) + 1.5 * 2^23 rounds to an integer k = t - 1.5 * 2^23
        (local.set $t (f32x4.add (f32x4.mul (local.get $x) (local.get $log2e)) (local.get $round)))
        (local.set $k (f32x4.sub (local.get $t) (local.get $round)))
        ;; r = x - k * ln2_high - k * ln2_low
        (local.set $r
          (f32x4.sub
            (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (local.get $ln2High)))
            (f32x4.mul (local.get $k) (local.get $ln2Low))))
        ;; p = 1 + (r + r^2 (b + r^2 c + r^4 d)) with b = 1/2 + r/6, c = 1/24 + r/120,
        ;; d = 1/720 + r/5040: the Taylor polynomial of degree 7, evaluated with short dependency
        ;; chains (the loop is latency-bound) and one rounding near 1 at the end
        (local.set $r2 (f32x4.mul (local.get $r) (local.get $r)))
        (local.set $p
          (f32x4.add
            (f32x4.add (local.get $c2) (f32x4.mul (local.get $r) (local.get $c3)))
            (f32x4.mul (local.get $r2)
              (f32x4.add (local.get $c4) (f32x4.mul (local.get $r) (local.get $c5))))))
        (local.set $p
          (f32x4.add (local.get $p)
            (f32x4.mul (f32x4.mul (local.get $r2) (local.get $r2))
              (f32x4.add (local.get $c6) (f32x4.mul (local.get $r) (local.get $c7))))))
        (local.set $p
          (f32x4.add (local.get $one)
            (f32x4.add (local.get $r) (f32x4.mul (local.get $r2) (local.get $p)))))
        ;; k as an integer: the low bits of t minus those of 1.5 * 2^23; 2^k = 2^half * 2^rest,
        ;; each built as ((exponent + 127) << 23)
        (local.set $k (i32x4.sub (local.get $t) (local.get $round)))
        (local.set $half (i32x4.shr_s (local.get $k) (i32.const 1)))
        (local.set $rest (i32x4.sub (local.get $k) (local.get $half)))
        (v128.store (local.get $target)
          (f32x4.mul
            (f32x4.mul (local.get $p)
              (i32x4.shl (i32x4.add (local.get $half) (local.get $bias)) (i32.const 23)))
            (i32x4.shl (i32x4.add (local.get $rest) (local.get $bias)) (i32.const 23))))
        (local.set $source (i32.add (local.get $source) (i32.const 16)))
        (local.set $target (i32.add (local.get $target) (i32.const 16)))
        (br $next))))

  ;; The maximum of each of `rows` contiguous rows of `length` (>= 1) floats at `source`, one float
  ;; per row written at `target`. Like the shipped kernel, NaN anywhere in a row gives NaN (tracked
  ;; apart, so that the lanes can use pmax, a single instruction). A lane keeps its value unless a
  ;; later one is strictly greater and lanes start at the row's first value, so between +0 and -0
  ;; the first is kept when it comes first in the row; other ties of zeros may differ in sign.
  (func (export "maxRows") (param $source i32) (param $target i32) (param $rows i32) (param $length i32)
    (local $end i32) (local $first f32) (local $best f32) (local $value f32) (local $nan i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $u v128) (local $v v128)
    (local $w v128) (local $z v128) (local $nans v128)
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $end (i32.add (local.get $source) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $first (f32.load (local.get $source)))
        (local.set $a (f32x4.splat (local.get $first)))
        (local.set $b (local.get $a))
        (local.set $c (local.get $a))
        (local.set $d (local.get $a))
        (local.set $nans (v128.const i32x4 0 0 0 0))
        ;; 16 floats per step, four independent accumulators
        (block $wideDone
          (loop $wide
            (br_if $wideDone (i32.gt_u (i32.add (local.get $source) (i32.const 64)) (local.get $end)))
            (local.set $u (v128.load offset=0 (local.get $source)))
            (local.set $v (v128.load offset=16 (local.get $source)))
            (local.set $w (v128.load offset=32 (local.get $source)))
            (local.set $z (v128.load offset=48 (local.get $source)))
            (local.set $a (f32x4.pmax (local.get $a) (local.get $u)))
            (local.set $b (f32x4.pmax (local.get $b) (local.get $v)))
            (local.set $c (f32x4.pmax (local.get $c) (local.get $w)))
            (local.set $d (f32x4.pmax (local.get $d) (local.get $z)))
            (local.set $nans
              (v128.or (local.get $nans)
                (v128.or
                  (v128.or (f32x4.ne (local.get $u) (local.get $u)) (f32x4.ne (local.get $v) (local.get $v)))
                  (v128.or (f32x4.ne (local.get $w) (local.get $w)) (f32x4.ne (local.get $z) (local.get $z))))))
            (local.set $source (i32.add (local.get $source) (i32.const 64)))
            (br $wide)))
        ;; then 4 floats per step
        (block $narrowDone
          (loop $narrow
            (br_if $narrowDone (i32.gt_u (i32.add (local.get $source) (i32.const 16)) (local.get $end)))
            (local.set $u (v128.load (local.get $source)))
            (local.set $a (f32x4.pmax (local.get $a) (local.get $u)))
            (local.set $nans (v128.or (local.get $nans) (f32x4.ne (local.get $u) (local.get $u))))
            (local.set $source (i32.add (local.get $source) (i32.const 16)))
            (br $narrow)))
        (local.set $a
          (f32x4.pmax (f32x4.pmax (local.get $a) (local.get $b)) (f32x4.pmax (local.get $c) (local.get $d))))
        (local.set $nan (v128.any_true (local.get $nans)))
        (local.set $best (local.get $first))
        (local.set $value (f32x4.extract_lane 0 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.gt (local.get $value) (local.get $best))))
        (local.set $value (f32x4.extract_lane 1 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.gt (local.get $value) (local.get $best))))
        (local.set $value (f32x4.extract_lane 2 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.gt (local.get $value) (local.get $best))))
        (local.set $value (f32x4.extract_lane 3 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.gt (local.get $value) (local.get $best))))
        ;; the last 0-3 floats one by one
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $source) (local.get $end)))
            (local.set $value (f32.load (local.get $source)))
            (local.set $best
              (select (local.get $value) (local.get $best) (f32.gt (local.get $value) (local.get $best))))
            (local.set $nan (i32.or (local.get $nan) (f32.ne (local.get $value) (local.get $value))))
            (local.set $source (i32.add (local.get $source) (i32.const 4)))
            (br $tail)))
        (local.set $nan (i32.or (local.get $nan) (f32.ne (local.get $first) (local.get $first))))
        (f32.store (local.get $target)
          (select (f32.const nan) (local.get $best) (local.get $nan)))
        (local.set $target (i32.add (local.get $target) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $nextRow))))

  ;; The minimum of each row, as maxRows with the comparisons reversed.
  (func (export "minRows") (param $source i32) (param $target i32) (param $rows i32) (param $length i32)
    (local $end i32) (local $first f32) (local $best f32) (local $value f32) (local $nan i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $u v128) (local $v v128)
    (local $w v128) (local $z v128) (local $nans v128)
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $end (i32.add (local.get $source) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $first (f32.load (local.get $source)))
        (local.set $a (f32x4.splat (local.get $first)))
        (local.set $b (local.get $a))
        (local.set $c (local.get $a))
        (local.set $d (local.get $a))
        (local.set $nans (v128.const i32x4 0 0 0 0))
        (block $wideDone
          (loop $wide
            (br_if $wideDone (i32.gt_u (i32.add (local.get $source) (i32.const 64)) (local.get $end)))
            (local.set $u (v128.load offset=0 (local.get $source)))
            (local.set $v (v128.load offset=16 (local.get $source)))
            (local.set $w (v128.load offset=32 (local.get $source)))
            (local.set $z (v128.load offset=48 (local.get $source)))
            (local.set $a (f32x4.pmin (local.get $a) (local.get $u)))
            (local.set $b (f32x4.pmin (local.get $b) (local.get $v)))
            (local.set $c (f32x4.pmin (local.get $c) (local.get $w)))
            (local.set $d (f32x4.pmin (local.get $d) (local.get $z)))
            (local.set $nans
              (v128.or (local.get $nans)
                (v128.or
                  (v128.or (f32x4.ne (local.get $u) (local.get $u)) (f32x4.ne (local.get $v) (local.get $v)))
                  (v128.or (f32x4.ne (local.get $w) (local.get $w)) (f32x4.ne (local.get $z) (local.get $z))))))
            (local.set $source (i32.add (local.get $source) (i32.const 64)))
            (br $wide)))
        (block $narrowDone
          (loop $narrow
            (br_if $narrowDone (i32.gt_u (i32.add (local.get $source) (i32.const 16)) (local.get $end)))
            (local.set $u (v128.load (local.get $source)))
            (local.set $a (f32x4.pmin (local.get $a) (local.get $u)))
            (local.set $nans (v128.or (local.get $nans) (f32x4.ne (local.get $u) (local.get $u))))
            (local.set $source (i32.add (local.get $source) (i32.const 16)))
            (br $narrow)))
        (local.set $a
          (f32x4.pmin (f32x4.pmin (local.get $a) (local.get $b)) (f32x4.pmin (local.get $c) (local.get $d))))
        (local.set $nan (v128.any_true (local.get $nans)))
        (local.set $best (local.get $first))
        (local.set $value (f32x4.extract_lane 0 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.lt (local.get $value) (local.get $best))))
        (local.set $value (f32x4.extract_lane 1 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.lt (local.get $value) (local.get $best))))
        (local.set $value (f32x4.extract_lane 2 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.lt (local.get $value) (local.get $best))))
        (local.set $value (f32x4.extract_lane 3 (local.get $a)))
        (local.set $best
          (select (local.get $value) (local.get $best) (f32.lt (local.get $value) (local.get $best))))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $source) (local.get $end)))
            (local.set $value (f32.load (local.get $source)))
            (local.set $best
              (select (local.get $value) (local.get $best) (f32.lt (local.get $value) (local.get $best))))
            (local.set $nan (i32.or (local.get $nan) (f32.ne (local.get $value) (local.get $value))))
            (local.set $source (i32.add (local.get $source) (i32.const 4)))
            (br $tail)))
        (local.set $nan (i32.or (local.get $nan) (f32.ne (local.get $first) (local.get $first))))
        (f32.store (local.get $target)
          (select (f32.const nan) (local.get $best) (local.get $nan)))
        (local.set $target (i32.add (local.get $target) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $nextRow))))

  ;; The sum of each row: four accumulators of four lanes (sixteen partial sums, added pairwise at
  ;; the end), then the last 0-15 floats one by one. The order of the additions differs from a
  ;; sequential loop, so the result may differ from it in the last bits (it is usually closer to
  ;; the exact sum).
  (func (export "sumRows") (param $source i32) (param $target i32) (param $rows i32) (param $length i32)
    (local $end i32) (local $total f32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $end (i32.add (local.get $source) (i32.shl (local.get $length) (i32.const 2))))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (local.get $a))
        (local.set $c (local.get $a))
        (local.set $d (local.get $a))
        (block $wideDone
          (loop $wide
            (br_if $wideDone (i32.gt_u (i32.add (local.get $source) (i32.const 64)) (local.get $end)))
            (local.set $a (f32x4.add (local.get $a) (v128.load offset=0 (local.get $source))))
            (local.set $b (f32x4.add (local.get $b) (v128.load offset=16 (local.get $source))))
            (local.set $c (f32x4.add (local.get $c) (v128.load offset=32 (local.get $source))))
            (local.set $d (f32x4.add (local.get $d) (v128.load offset=48 (local.get $source))))
            (local.set $source (i32.add (local.get $source) (i32.const 64)))
            (br $wide)))
        (local.set $a
          (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
        (local.set $total
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (block $tailDone
          (loop $tail
            (br_if $tailDone (i32.ge_u (local.get $source) (local.get $end)))
            (local.set $total (f32.add (local.get $total) (f32.load (local.get $source))))
            (local.set $source (i32.add (local.get $source) (i32.const 4)))
            (br $tail)))
        (f32.store (local.get $target) (local.get $total))
        (local.set $target (i32.add (local.get $target) (i32.const 4)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $nextRow))))
)
