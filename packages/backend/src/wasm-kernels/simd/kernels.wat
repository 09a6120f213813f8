;; Float32 kernels vectorised with WebAssembly SIMD (f32x4), for the wasm backend of TensorFlow.js.
;;
;; All pointers are byte offsets into the memory the module imports (env.memory): a memory of its
;; own, into which the caller copies inputs and out of which it copies results, or the wasm
;; backend's heap, where kernels read and write tensors in place. Regenerate
;; simd-module.generated.ts after editing: node scripts/build-simd.mjs
(module
  (import "env" "memory" (memory 1))

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
  (func $sumRows (export "sumRows") (param $source i32) (param $target i32) (param $rows i32) (param $length i32)
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

  ;; exp in place of `count` floats at `at`, for arguments up to 88 (the log-sum-exp kernels below
  ;; pass z - max <= 0, up to rounding; larger ones give junk, not Infinity): results below the
  ;; smallest normal float (x < -87.33, -Infinity included) are 0, NaN stays NaN. Whole vectors, four
  ;; per step: reads and writes up to 15 floats past `count`. x = k ln2 + r as in "exp"; the rounding
  ;; constant 1.5 * 2^23 + 127 leaves k + 127 in the low bits of t, so t << 23 is 2^k (k + 127 stays
  ;; in [1, 254] where the result is not masked); exp(r) is a degree-5 polynomial fitted to exp on
  ;; [-ln2/2, ln2/2] (relative error 1.7e-7 evaluated in float32). Arguments are not clamped: those
  ;; below -87.33 give junk (or NaN from -Infinity) that the final mask sets to 0.
  (func $expInPlace (param $at i32) (param $count i32)
    (local $end i32)
    (local $x v128) (local $y v128) (local $v v128) (local $w v128)
    (local $tx v128) (local $ty v128) (local $tv v128) (local $tw v128)
    (local $rx v128) (local $ry v128) (local $rv v128) (local $rw v128)
    (local $log2e v128) (local $round v128)
    (local.set $log2e (v128.const f32x4 1.44269504089 1.44269504089 1.44269504089 1.44269504089))
    (local.set $round (v128.const f32x4 12583039 12583039 12583039 12583039))
    (local.set $end
      (i32.add (local.get $at)
        (i32.shl (i32.and (i32.add (local.get $count) (i32.const 15)) (i32.const -16)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $x (v128.load offset=0 (local.get $at)))
        (local.set $y (v128.load offset=16 (local.get $at)))
        (local.set $v (v128.load offset=32 (local.get $at)))
        (local.set $w (v128.load offset=48 (local.get $at)))
        (local.set $tx (f32x4.add (f32x4.mul (local.get $x) (local.get $log2e)) (local.get $round)))
        (local.set $ty (f32x4.add (f32x4.mul (local.get $y) (local.get $log2e)) (local.get $round)))
        (local.set $tv (f32x4.add (f32x4.mul (local.get $v) (local.get $log2e)) (local.get $round)))
        (local.set $tw (f32x4.add (f32x4.mul (local.get $w) (local.get $log2e)) (local.get $round)))
        ;; r = x - k ln2 (in two parts), k = t - round
        (local.set $rx (f32x4.sub (local.get $tx) (local.get $round)))
        (local.set $rx
          (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $rx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $rx) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        (local.set $ry (f32x4.sub (local.get $ty) (local.get $round)))
        (local.set $ry
          (f32x4.sub (f32x4.sub (local.get $y) (f32x4.mul (local.get $ry) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $ry) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        (local.set $rv (f32x4.sub (local.get $tv) (local.get $round)))
        (local.set $rv
          (f32x4.sub (f32x4.sub (local.get $v) (f32x4.mul (local.get $rv) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $rv) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        (local.set $rw (f32x4.sub (local.get $tw) (local.get $round)))
        (local.set $rw
          (f32x4.sub (f32x4.sub (local.get $w) (f32x4.mul (local.get $rw) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $rw) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        ;; p = 1 + r (c1 + r (c2 + r (c3 + r (c4 + r c5)))), times 2^k, 0 below the normal range
        (v128.store offset=0 (local.get $at)
          (v128.andnot
            (f32x4.mul
              (f32x4.add (v128.const f32x4 1 1 1 1)
                (f32x4.mul (local.get $rx)
                  (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                    (f32x4.mul (local.get $rx)
                      (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                        (f32x4.mul (local.get $rx)
                          (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                            (f32x4.mul (local.get $rx)
                              (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $rx) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
              (i32x4.shl (local.get $tx) (i32.const 23)))
            (f32x4.lt (local.get $x) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33))))
        (v128.store offset=16 (local.get $at)
          (v128.andnot
            (f32x4.mul
              (f32x4.add (v128.const f32x4 1 1 1 1)
                (f32x4.mul (local.get $ry)
                  (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                    (f32x4.mul (local.get $ry)
                      (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                        (f32x4.mul (local.get $ry)
                          (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                            (f32x4.mul (local.get $ry)
                              (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $ry) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
              (i32x4.shl (local.get $ty) (i32.const 23)))
            (f32x4.lt (local.get $y) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33))))
        (v128.store offset=32 (local.get $at)
          (v128.andnot
            (f32x4.mul
              (f32x4.add (v128.const f32x4 1 1 1 1)
                (f32x4.mul (local.get $rv)
                  (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                    (f32x4.mul (local.get $rv)
                      (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                        (f32x4.mul (local.get $rv)
                          (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                            (f32x4.mul (local.get $rv)
                              (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $rv) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
              (i32x4.shl (local.get $tv) (i32.const 23)))
            (f32x4.lt (local.get $v) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33))))
        (v128.store offset=48 (local.get $at)
          (v128.andnot
            (f32x4.mul
              (f32x4.add (v128.const f32x4 1 1 1 1)
                (f32x4.mul (local.get $rw)
                  (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                    (f32x4.mul (local.get $rw)
                      (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                        (f32x4.mul (local.get $rw)
                          (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                            (f32x4.mul (local.get $rw)
                              (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $rw) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
              (i32x4.shl (local.get $tw) (i32.const 23)))
            (f32x4.lt (local.get $w) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33))))
        (local.set $at (i32.add (local.get $at) (i32.const 64)))
        (br $next))))

  ;; All-ones lanes for the first `count` lanes (count >= 4: all four).
  (func $firstLanes (param $count i32) (result v128)
    (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $count))))

  ;; Scaled log-sum-exp along rows, in two parts: for each of `rows` rows of `length` floats C at
  ;; `source`, with z_j = c_j - scale * C_j (c: `length` floats at `columnTerm`), writes
  ;; max_j z_j at `maxOut` and sum_j exp(z_j - max) at `sumOut` (one float per row), row by row:
  ;; z and its maximum in one pass, then the sum of the exponentials in a second ($expSumRow) while
  ;; the row is still in the L1 cache. `scratch` holds the rows at a stride of `length` rounded up
  ;; to a whole vector (plus 16 floats of padding). The caller forms max + log(sum) and combines
  ;; parts of rows longer than a chunk. A NaN z gives a NaN sum. Reads up to 3 floats past the inputs.
  (func (export "lseRows") (param $source i32) (param $columnTerm i32) (param $rows i32) (param $length i32)
    (param $scale f32) (param $scratch i32) (param $maxOut i32) (param $sumOut i32)
    (local $j i32) (local $row i32) (local $at i32) (local $rowBytes i32) (local $stride i32) (local $full i32)
    (local $s v128) (local $z v128) (local $m v128) (local $mask v128) (local $best f32)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $rowBytes (i32.shl (local.get $length) (i32.const 2)))
    (local.set $stride (i32.and (i32.add (local.get $rowBytes) (i32.const 15)) (i32.const -16)))
    ;; bytes covered by whole vectors, and the lanes of the last, partial one
    (local.set $full (i32.and (local.get $rowBytes) (i32.const -16)))
    (local.set $mask
      (call $firstLanes (i32.shr_u (i32.sub (local.get $rowBytes) (local.get $full)) (i32.const 2))))
    (local.set $row (i32.const 0))
    (local.set $at (local.get $scratch))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
        ;; z into the scratch row (-inf in the lanes past the row end) and its maximum
        (local.set $m (v128.const f32x4 -inf -inf -inf -inf))
        (local.set $j (i32.const 0))
        (block $zDone
          (loop $zLoop
            (br_if $zDone (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $z
              (f32x4.sub (v128.load (i32.add (local.get $columnTerm) (local.get $j)))
                (f32x4.mul (local.get $s) (v128.load (i32.add (local.get $source) (local.get $j))))))
            (if (i32.ge_u (local.get $j) (local.get $full))
              (then
                (local.set $z
                  (v128.bitselect (local.get $z) (v128.const f32x4 -inf -inf -inf -inf) (local.get $mask)))))
            (v128.store (i32.add (local.get $at) (local.get $j)) (local.get $z))
            (local.set $m (f32x4.pmax (local.get $m) (local.get $z)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $zLoop)))
        (local.set $best
          (f32.max
            (f32.max (f32x4.extract_lane 0 (local.get $m)) (f32x4.extract_lane 1 (local.get $m)))
            (f32.max (f32x4.extract_lane 2 (local.get $m)) (f32x4.extract_lane 3 (local.get $m)))))
        (f32.store (local.get $maxOut) (local.get $best))
        (f32.store (local.get $sumOut) (call $expSumRow (local.get $at) (local.get $stride) (local.get $best)))
        (local.set $sumOut (i32.add (local.get $sumOut) (i32.const 4)))
        (local.set $source (i32.add (local.get $source) (local.get $rowBytes)))
        (local.set $at (i32.add (local.get $at) (local.get $stride)))
        (local.set $maxOut (i32.add (local.get $maxOut) (i32.const 4)))
        (local.set $row (i32.add (local.get $row) (i32.const 1)))
        (br $nextRow))))

  ;; Scaled log-sum-exp along columns, accumulated over calls: for `rows` rows of `length` floats C
  ;; at `source` and z_ij = r_i - scale * C_ij (r: `rows` floats at `rowTerm`), updates for every
  ;; column j the running maximum M_j at `maxState` and the running sum S_j of exp(z_ij - M_j) at
  ;; `sumState` (start with a very negative finite M and S = 0; the caller forms M + log(S)).
  ;; `scratch` holds the rows at a stride of `length` rounded up to a whole vector, `delta` `length`
  ;; floats (each plus 16 floats of padding). Whole vectors: the state areas hold up to 3 junk floats
  ;; past `length`; reads up to 3 floats past the inputs.
  (func (export "lseColumns") (param $source i32) (param $rowTerm i32) (param $rows i32) (param $length i32)
    (param $scale f32) (param $scratch i32) (param $delta i32) (param $maxState i32) (param $sumState i32)
    (local $j i32) (local $i i32) (local $from i32) (local $to i32) (local $rowBytes i32) (local $stride i32)
    (local $s v128) (local $r v128) (local $z v128)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $rowBytes (i32.shl (local.get $length) (i32.const 2)))
    (local.set $stride (i32.and (i32.add (local.get $rowBytes) (i32.const 15)) (i32.const -16)))
    ;; keep the old maxima in `delta`
    (local.set $j (i32.const 0))
    (block $keepDone
      (loop $keep
        (br_if $keepDone (i32.ge_u (local.get $j) (local.get $stride)))
        (v128.store (i32.add (local.get $delta) (local.get $j))
          (v128.load (i32.add (local.get $maxState) (local.get $j))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $keep)))
    ;; row by row: z into the scratch and the running maxima
    (local.set $from (local.get $source))
    (local.set $to (local.get $scratch))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $r (v128.load32_splat (i32.add (local.get $rowTerm) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (i32.const 0))
        (block $columnsDone
          (loop $columns
            (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $z
              (f32x4.sub (local.get $r)
                (f32x4.mul (local.get $s) (v128.load (i32.add (local.get $from) (local.get $j))))))
            (v128.store (i32.add (local.get $to) (local.get $j)) (local.get $z))
            (v128.store (i32.add (local.get $maxState) (local.get $j))
              (f32x4.pmax (v128.load (i32.add (local.get $maxState) (local.get $j))) (local.get $z)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $columns)))
        (local.set $from (i32.add (local.get $from) (local.get $rowBytes)))
        (local.set $to (i32.add (local.get $to) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $nextRow)))
    ;; delta = old - new maxima; z - M in place
    (local.set $j (i32.const 0))
    (block $deltaDone
      (loop $deltaLoop
        (br_if $deltaDone (i32.ge_u (local.get $j) (local.get $stride)))
        (v128.store (i32.add (local.get $delta) (local.get $j))
          (f32x4.sub (v128.load (i32.add (local.get $delta) (local.get $j)))
            (v128.load (i32.add (local.get $maxState) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $deltaLoop)))
    (local.set $to (local.get $scratch))
    (local.set $i (i32.const 0))
    (block $shiftDone
      (loop $shift
        (br_if $shiftDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $shiftColumnsDone
          (loop $shiftColumns
            (br_if $shiftColumnsDone (i32.ge_u (local.get $j) (local.get $stride)))
            (v128.store (i32.add (local.get $to) (local.get $j))
              (f32x4.sub (v128.load (i32.add (local.get $to) (local.get $j)))
                (v128.load (i32.add (local.get $maxState) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $shiftColumns)))
        (local.set $to (i32.add (local.get $to) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $shift)))
    (call $expInPlace (local.get $delta) (local.get $length))
    (local.set $j (i32.shr_u (local.get $stride) (i32.const 2)))
    (call $expInPlace (local.get $scratch) (i32.mul (local.get $rows) (local.get $j)))
    ;; S = S exp(old - new) + column sums of the scratch
    (local.set $j (i32.const 0))
    (block $rescaleDone
      (loop $rescale
        (br_if $rescaleDone (i32.ge_u (local.get $j) (local.get $stride)))
        (v128.store (i32.add (local.get $sumState) (local.get $j))
          (f32x4.mul (v128.load (i32.add (local.get $sumState) (local.get $j)))
            (v128.load (i32.add (local.get $delta) (local.get $j)))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $rescale)))
    (call $addColumns (local.get $scratch) (local.get $sumState) (local.get $rows) (local.get $stride)))

  ;; Adds the column sums of `rows` rows at `source`, `stride` bytes apart, to the floats at `target`,
  ;; four columns at a time: where `stride` is not a multiple of 16, the lanes past a row's end read
  ;; the next row and add junk to `target` past the row length (up to 3 floats).
  (func $addColumns (export "addColumns") (param $source i32) (param $target i32) (param $rows i32) (param $stride i32)
    (local $j i32)
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.eqz (local.get $rows)))
        (local.set $j (i32.const 0))
        (block $columnsDone
          (loop $columns
            (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $stride)))
            (v128.store (i32.add (local.get $target) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $target) (local.get $j)))
                (v128.load (i32.add (local.get $source) (local.get $j)))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $columns)))
        (local.set $source (i32.add (local.get $source) (local.get $stride)))
        (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
        (br $nextRow))))

  ;; W_ij = u_i v_j exp(r_i + c_j - scale * C_ij) for `rows` rows of `length` floats C at `source`
  ;; (r, u: `rows` floats at `rowTerm`, `rowFactor`; c, v: `length` floats at `columnTerm`,
  ;; `columnFactor`). Writes outputScale * W_ij at `target`, rows at a stride of `length` rounded up
  ;; to a whole vector (plus 16 floats of padding; 0 in the lanes past the row end),
  ;; sum_j W_ij at `rowSums`, and adds sum_i W_ij to `columnSums` (accumulated over calls). Whole
  ;; vectors: junk lanes past `length` in `columnSums`; reads up to 3 floats past the inputs.
  (func (export "scaledExp") (param $source i32) (param $target i32) (param $rows i32) (param $length i32)
    (param $scale f32) (param $outputScale f32) (param $rowTerm i32) (param $rowFactor i32)
    (param $columnTerm i32) (param $columnFactor i32) (param $rowSums i32) (param $columnSums i32)
    (local $j i32) (local $i i32) (local $from i32) (local $to i32) (local $rowBytes i32) (local $full i32)
    (local $stride i32)
    (local $s v128) (local $o v128) (local $r v128) (local $u v128) (local $w v128) (local $acc v128)
    (local $mask v128)
    (local.set $s (f32x4.splat (local.get $scale)))
    (local.set $o (f32x4.splat (local.get $outputScale)))
    (local.set $rowBytes (i32.shl (local.get $length) (i32.const 2)))
    (local.set $full (i32.and (local.get $rowBytes) (i32.const -16)))
    (local.set $stride (i32.and (i32.add (local.get $rowBytes) (i32.const 15)) (i32.const -16)))
    (local.set $mask
      (call $firstLanes (i32.shr_u (i32.sub (local.get $rowBytes) (local.get $full)) (i32.const 2))))
    ;; the exponents, row by row
    (local.set $from (local.get $source))
    (local.set $to (local.get $target))
    (local.set $i (i32.const 0))
    (block $argumentsDone
      (loop $arguments
        (br_if $argumentsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $r (v128.load32_splat (i32.add (local.get $rowTerm) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $j (i32.const 0))
        (block $columnsDone
          (loop $columns
            (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $stride)))
            (v128.store (i32.add (local.get $to) (local.get $j))
              (f32x4.sub
                (f32x4.add (local.get $r) (v128.load (i32.add (local.get $columnTerm) (local.get $j))))
                (f32x4.mul (local.get $s) (v128.load (i32.add (local.get $from) (local.get $j))))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $columns)))
        (local.set $from (i32.add (local.get $from) (local.get $rowBytes)))
        (local.set $to (i32.add (local.get $to) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $arguments)))
    (call $expInPlace (local.get $target)
      (i32.mul (local.get $rows) (i32.shr_u (local.get $stride) (i32.const 2))))
    ;; the factors, the sums and the output scale
    (local.set $to (local.get $target))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $nextRow
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $u (v128.load32_splat (i32.add (local.get $rowFactor) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (block $factorsDone
          (loop $factors
            (br_if $factorsDone (i32.ge_u (local.get $j) (local.get $stride)))
            (local.set $w
              (f32x4.mul
                (f32x4.mul (local.get $u) (v128.load (i32.add (local.get $columnFactor) (local.get $j))))
                (v128.load (i32.add (local.get $to) (local.get $j)))))
            ;; junk lanes past the row end count nowhere
            (if (i32.ge_u (local.get $j) (local.get $full))
              (then (local.set $w (v128.and (local.get $w) (local.get $mask)))))
            (v128.store (i32.add (local.get $to) (local.get $j)) (f32x4.mul (local.get $w) (local.get $o)))
            (local.set $acc (f32x4.add (local.get $acc) (local.get $w)))
            (v128.store (i32.add (local.get $columnSums) (local.get $j))
              (f32x4.add (v128.load (i32.add (local.get $columnSums) (local.get $j))) (local.get $w)))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $factors)))
        (f32.store (i32.add (local.get $rowSums) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
            (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
        (local.set $to (i32.add (local.get $to) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $nextRow))))

  ;; Dot products of rows: target[i * rowsB + j] += sum_k A_ik B_jk for the `rowsA` rows of A at `a`
  ;; and the `rowsB` rows of B at `b`, every row `length` floats long and stored contiguously.
  ;; `length` must be a multiple of 4, `rowsA` of 2 and `rowsB` of 4 (the caller pads with zeros).
  ;; Blocks of 2 x 4 dot products share their loads: eight accumulators of four lanes, reduced at the
  ;; end of the block by two rounds of shuffles into the four sums of one target vector. Each lane
  ;; adds every fourth product, so the order of the additions differs from a sequential loop.
  ;; With `upper` set (A = B), only the blocks on or above the diagonal are computed: the entries
  ;; with j < i rounded down to a multiple of 4 are left alone, for the caller to mirror.
  (func (export "dotRows") (param $a i32) (param $b i32) (param $target i32) (param $rowsA i32)
        (param $rowsB i32) (param $length i32) (param $upper i32)
    (local $stride i32) (local $i i32) (local $j i32) (local $k i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $out i32)
    (local $x0 v128) (local $x1 v128) (local $y v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $stride (i32.shl (local.get $length) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rowPairs
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rowsA)))
        (local.set $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $stride))))
        (local.set $a1 (i32.add (local.get $a0) (local.get $stride)))
        (local.set $j (select (i32.and (local.get $i) (i32.const -4)) (i32.const 0) (local.get $upper)))
        (block $columnsDone
          (loop $columnQuads
            (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $rowsB)))
            (local.set $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $stride))))
            (local.set $b1 (i32.add (local.get $b0) (local.get $stride)))
            (local.set $b2 (i32.add (local.get $b1) (local.get $stride)))
            (local.set $b3 (i32.add (local.get $b2) (local.get $stride)))
            (local.set $s00 (v128.const i32x4 0 0 0 0))
            (local.set $s01 (local.get $s00)) (local.set $s02 (local.get $s00)) (local.set $s03 (local.get $s00))
            (local.set $s10 (local.get $s00)) (local.set $s11 (local.get $s00)) (local.set $s12 (local.get $s00))
            (local.set $s13 (local.get $s00))
            (local.set $k (i32.const 0))
            (block $productsDone
              (loop $products
                (br_if $productsDone (i32.ge_u (local.get $k) (local.get $stride)))
                (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $k))))
                (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $k))))
                (local.set $y (v128.load (i32.add (local.get $b0) (local.get $k))))
                (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x0) (local.get $y))))
                (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x1) (local.get $y))))
                (local.set $y (v128.load (i32.add (local.get $b1) (local.get $k))))
                (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x0) (local.get $y))))
                (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x1) (local.get $y))))
                (local.set $y (v128.load (i32.add (local.get $b2) (local.get $k))))
                (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $x0) (local.get $y))))
                (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $x1) (local.get $y))))
                (local.set $y (v128.load (i32.add (local.get $b3) (local.get $k))))
                (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $x0) (local.get $y))))
                (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $x1) (local.get $y))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $products)))
            (local.set $out
              (i32.add (local.get $target)
                (i32.shl (i32.add (i32.mul (local.get $i) (local.get $rowsB)) (local.get $j)) (i32.const 2))))
            (v128.store (local.get $out)
              (f32x4.add (v128.load (local.get $out))
                (call $sumLanes (local.get $s00) (local.get $s01) (local.get $s02) (local.get $s03))))
            (local.set $out (i32.add (local.get $out) (i32.shl (local.get $rowsB) (i32.const 2))))
            (v128.store (local.get $out)
              (f32x4.add (v128.load (local.get $out))
                (call $sumLanes (local.get $s10) (local.get $s11) (local.get $s12) (local.get $s13))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $columnQuads)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rowPairs))))

  ;; [sum of the lanes of p, of q, of r, of s].
  (func $sumLanes (param $p v128) (param $q v128) (param $r v128) (param $s v128) (result v128)
    (local $pq v128) (local $rs v128)
    ;; [p0 + p2, p1 + p3, q0 + q2, q1 + q3] and the same for r, s
    (local.set $pq
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $p) (local.get $q))
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $p) (local.get $q))))
    (local.set $rs
      (f32x4.add
        (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r) (local.get $s))
        (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r) (local.get $s))))
    (f32x4.add
      (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $pq) (local.get $rs))
      (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $pq) (local.get $rs))))

  ;; sum_j exp(z_j - shift) over one row of `bytes` bytes (a multiple of 16) at `at`, with the
  ;; exponential of $expInPlace, four vectors per step without storing them. In the last step the
  ;; vectors past the row end are replaced by -inf (exp 0); their loads read at most 48 bytes past it.
  (func $expSumRow (param $at i32) (param $bytes i32) (param $shift f32) (result f32)
    (local $j i32) (local $m v128) (local $acc v128) (local $none v128)
    (local $x v128) (local $y v128) (local $v v128) (local $w v128)
    (local $tx v128) (local $ty v128) (local $tv v128) (local $tw v128)
    (local $rx v128) (local $ry v128) (local $rv v128) (local $rw v128)
    (local $log2e v128) (local $round v128)
    (local.set $log2e (v128.const f32x4 1.44269504089 1.44269504089 1.44269504089 1.44269504089))
    (local.set $round (v128.const f32x4 12583039 12583039 12583039 12583039))
    (local.set $m (f32x4.splat (local.get $shift)))
    (local.set $none (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (local.set $j (i32.const 0))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $x (f32x4.sub (v128.load offset=0 (i32.add (local.get $at) (local.get $j))) (local.get $m)))
        (local.set $y
          (select (f32x4.sub (v128.load offset=16 (i32.add (local.get $at) (local.get $j))) (local.get $m)) (local.get $none)
            (i32.lt_u (i32.add (local.get $j) (i32.const 16)) (local.get $bytes))))
        (local.set $v
          (select (f32x4.sub (v128.load offset=32 (i32.add (local.get $at) (local.get $j))) (local.get $m)) (local.get $none)
            (i32.lt_u (i32.add (local.get $j) (i32.const 32)) (local.get $bytes))))
        (local.set $w
          (select (f32x4.sub (v128.load offset=48 (i32.add (local.get $at) (local.get $j))) (local.get $m)) (local.get $none)
            (i32.lt_u (i32.add (local.get $j) (i32.const 48)) (local.get $bytes))))
        (local.set $tx (f32x4.add (f32x4.mul (local.get $x) (local.get $log2e)) (local.get $round)))
        (local.set $rx (f32x4.sub (local.get $tx) (local.get $round)))
        (local.set $rx
          (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $rx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $rx) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        (local.set $ty (f32x4.add (f32x4.mul (local.get $y) (local.get $log2e)) (local.get $round)))
        (local.set $ry (f32x4.sub (local.get $ty) (local.get $round)))
        (local.set $ry
          (f32x4.sub (f32x4.sub (local.get $y) (f32x4.mul (local.get $ry) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $ry) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        (local.set $tv (f32x4.add (f32x4.mul (local.get $v) (local.get $log2e)) (local.get $round)))
        (local.set $rv (f32x4.sub (local.get $tv) (local.get $round)))
        (local.set $rv
          (f32x4.sub (f32x4.sub (local.get $v) (f32x4.mul (local.get $rv) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $rv) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        (local.set $tw (f32x4.add (f32x4.mul (local.get $w) (local.get $log2e)) (local.get $round)))
        (local.set $rw (f32x4.sub (local.get $tw) (local.get $round)))
        (local.set $rw
          (f32x4.sub (f32x4.sub (local.get $w) (f32x4.mul (local.get $rw) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
            (f32x4.mul (local.get $rw) (v128.const f32x4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4 -2.12194440055e-4))))
        (local.set $acc
          (f32x4.add (local.get $acc)
            (f32x4.add
              (f32x4.add
                (v128.andnot
              (f32x4.mul
                (f32x4.add (v128.const f32x4 1 1 1 1)
                  (f32x4.mul (local.get $rx)
                    (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                      (f32x4.mul (local.get $rx)
                        (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                          (f32x4.mul (local.get $rx)
                            (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                              (f32x4.mul (local.get $rx)
                                (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $rx) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
                (i32x4.shl (local.get $tx) (i32.const 23)))
              (f32x4.lt (local.get $x) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33)))
                (v128.andnot
              (f32x4.mul
                (f32x4.add (v128.const f32x4 1 1 1 1)
                  (f32x4.mul (local.get $ry)
                    (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                      (f32x4.mul (local.get $ry)
                        (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                          (f32x4.mul (local.get $ry)
                            (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                              (f32x4.mul (local.get $ry)
                                (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $ry) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
                (i32x4.shl (local.get $ty) (i32.const 23)))
              (f32x4.lt (local.get $y) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33))))
              (f32x4.add
                (v128.andnot
              (f32x4.mul
                (f32x4.add (v128.const f32x4 1 1 1 1)
                  (f32x4.mul (local.get $rv)
                    (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                      (f32x4.mul (local.get $rv)
                        (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                          (f32x4.mul (local.get $rv)
                            (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                              (f32x4.mul (local.get $rv)
                                (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $rv) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
                (i32x4.shl (local.get $tv) (i32.const 23)))
              (f32x4.lt (local.get $v) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33)))
                (v128.andnot
              (f32x4.mul
                (f32x4.add (v128.const f32x4 1 1 1 1)
                  (f32x4.mul (local.get $rw)
                    (f32x4.add (v128.const f32x4 0.999999880791 0.999999880791 0.999999880791 0.999999880791)
                      (f32x4.mul (local.get $rw)
                        (f32x4.add (v128.const f32x4 0.499991506338 0.499991506338 0.499991506338 0.499991506338)
                          (f32x4.mul (local.get $rw)
                            (f32x4.add (v128.const f32x4 0.166671812534 0.166671812534 0.166671812534 0.166671812534)
                              (f32x4.mul (local.get $rw)
                                (f32x4.add (v128.const f32x4 0.0418979451060 0.0418979451060 0.0418979451060 0.0418979451060) (f32x4.mul (local.get $rw) (v128.const f32x4 0.00831787567586 0.00831787567586 0.00831787567586 0.00831787567586)))))))))))
                (i32x4.shl (local.get $tw) (i32.const 23)))
              (f32x4.lt (local.get $w) (v128.const f32x4 -87.33 -87.33 -87.33 -87.33)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 64)))
        (br $next)))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
      (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))

  ;; Products with a transposed left operand: target[c * width + v] += sum_r W_rc P_rv for the
  ;; `rows` x `columns` floats W at `w` and the `rows` x `width` floats P at `p` (both row-major),
  ;; into `columns` x `width` floats at `target`. `width` must be a multiple of 4 and `rows` of 4 (the
  ;; caller pads with zeros). Four rows of W and P per step: each W_rc is splatted once and the target
  ;; row is read and written once per four products.
  (func (export "addTransposedProducts") (param $w i32) (param $p i32) (param $target i32) (param $rows i32)
        (param $columns i32) (param $width i32)
    (local $r i32) (local $c i32) (local $v i32) (local $rowBytes i32) (local $widthBytes i32)
    (local $from i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $to i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $rowBytes (i32.shl (local.get $columns) (i32.const 2)))
    (local.set $widthBytes (i32.shl (local.get $width) (i32.const 2)))
    (local.set $r (i32.const 0))
    (block $rowsDone
      (loop $rowQuads
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $from (i32.add (local.get $w) (i32.mul (local.get $r) (local.get $rowBytes))))
        (local.set $p0 (i32.add (local.get $p) (i32.mul (local.get $r) (local.get $widthBytes))))
        (local.set $p1 (i32.add (local.get $p0) (local.get $widthBytes)))
        (local.set $p2 (i32.add (local.get $p1) (local.get $widthBytes)))
        (local.set $p3 (i32.add (local.get $p2) (local.get $widthBytes)))
        (local.set $to (local.get $target))
        (local.set $c (i32.const 0))
        (block $columnsDone
          (loop $columnLoop
            (br_if $columnsDone (i32.ge_u (local.get $c) (local.get $rowBytes)))
            (local.set $a0 (v128.load32_splat (i32.add (local.get $from) (local.get $c))))
            (local.set $a1
              (v128.load32_splat (i32.add (i32.add (local.get $from) (local.get $rowBytes)) (local.get $c))))
            (local.set $a2
              (v128.load32_splat
                (i32.add (i32.add (local.get $from) (i32.shl (local.get $rowBytes) (i32.const 1))) (local.get $c))))
            (local.set $a3
              (v128.load32_splat
                (i32.add (i32.add (local.get $from) (i32.mul (local.get $rowBytes) (i32.const 3))) (local.get $c))))
            (local.set $v (i32.const 0))
            (block $widthDone
              (loop $widthLoop
                (br_if $widthDone (i32.ge_u (local.get $v) (local.get $widthBytes)))
                (v128.store (i32.add (local.get $to) (local.get $v))
                  (f32x4.add
                    (f32x4.add (v128.load (i32.add (local.get $to) (local.get $v)))
                      (f32x4.add
                        (f32x4.mul (local.get $a0) (v128.load (i32.add (local.get $p0) (local.get $v))))
                        (f32x4.mul (local.get $a1) (v128.load (i32.add (local.get $p1) (local.get $v))))))
                    (f32x4.add
                      (f32x4.mul (local.get $a2) (v128.load (i32.add (local.get $p2) (local.get $v))))
                      (f32x4.mul (local.get $a3) (v128.load (i32.add (local.get $p3) (local.get $v)))))))
                (local.set $v (i32.add (local.get $v) (i32.const 16)))
                (br $widthLoop)))
            (local.set $to (i32.add (local.get $to) (local.get $widthBytes)))
            (local.set $c (i32.add (local.get $c) (i32.const 4)))
            (br $columnLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br $rowQuads))))

  ;; Combinations of rows: target[i, v] = sum_j M_ij Z_jv for the `rows` x `inner` floats M at `m`
  ;; and the `inner` x `length` floats Z at `z` (both row-major), into `rows` x `length` floats at
  ;; `target` (overwritten). `rows` must be a multiple of 4 and `length` of 8 (the caller pads with
  ;; zeros). Blocks of 4 rows x 8 columns keep eight accumulators; each M_ij is splatted once per
  ;; block and each pair of Z vectors is loaded once for four rows.
  (func (export "combineRows") (param $m i32) (param $z i32) (param $target i32) (param $rows i32)
        (param $inner i32) (param $length i32)
    (local $i i32) (local $v i32) (local $j i32) (local $stride i32) (local $mStride i32)
    (local $mi i32) (local $mp i32) (local $zp i32) (local $out i32)
    (local $z0 v128) (local $z1 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local.set $stride (i32.shl (local.get $length) (i32.const 2)))
    (local.set $mStride (i32.shl (local.get $inner) (i32.const 2)))
    (local.set $i (i32.const 0))
    (block $rowsDone
      (loop $rowQuads
        (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
        (local.set $mi (i32.add (local.get $m) (i32.mul (local.get $i) (local.get $mStride))))
        (local.set $v (i32.const 0))
        (block $columnsDone
          (loop $columnBlocks
            (br_if $columnsDone (i32.ge_u (local.get $v) (local.get $stride)))
            (local.set $s00 (v128.const i32x4 0 0 0 0))
            (local.set $s01 (local.get $s00))
            (local.set $s10 (local.get $s00))
            (local.set $s11 (local.get $s00))
            (local.set $s20 (local.get $s00))
            (local.set $s21 (local.get $s00))
            (local.set $s30 (local.get $s00))
            (local.set $s31 (local.get $s00))
            (local.set $zp (i32.add (local.get $z) (local.get $v)))
            (local.set $mp (local.get $mi))
            (local.set $j (i32.const 0))
            (block $innerDone
              (loop $innerLoop
                (br_if $innerDone (i32.ge_u (local.get $j) (local.get $inner)))
                (local.set $z0 (v128.load offset=0 (local.get $zp)))
                (local.set $z1 (v128.load offset=16 (local.get $zp)))
                (local.set $a0 (v128.load32_splat (local.get $mp)))
                (local.set $a1 (v128.load32_splat (i32.add (local.get $mp) (local.get $mStride))))
                (local.set $a2 (v128.load32_splat (i32.add (local.get $mp) (i32.shl (local.get $mStride) (i32.const 1)))))
                (local.set $a3 (v128.load32_splat (i32.add (local.get $mp) (i32.mul (local.get $mStride) (i32.const 3)))))
                (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $a0) (local.get $z0))))
                (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $a0) (local.get $z1))))
                (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $a1) (local.get $z0))))
                (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $a1) (local.get $z1))))
                (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul (local.get $a2) (local.get $z0))))
                (local.set $s21 (f32x4.add (local.get $s21) (f32x4.mul (local.get $a2) (local.get $z1))))
                (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul (local.get $a3) (local.get $z0))))
                (local.set $s31 (f32x4.add (local.get $s31) (f32x4.mul (local.get $a3) (local.get $z1))))
                (local.set $zp (i32.add (local.get $zp) (local.get $stride)))
                (local.set $mp (i32.add (local.get $mp) (i32.const 4)))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $innerLoop)))
            (local.set $out (i32.add (i32.add (local.get $target) (i32.mul (local.get $i) (local.get $stride))) (local.get $v)))
            (v128.store offset=0 (local.get $out) (local.get $s00))
            (v128.store offset=16 (local.get $out) (local.get $s01))
            (local.set $out (i32.add (local.get $out) (local.get $stride)))
            (v128.store offset=0 (local.get $out) (local.get $s10))
            (v128.store offset=16 (local.get $out) (local.get $s11))
            (local.set $out (i32.add (local.get $out) (local.get $stride)))
            (v128.store offset=0 (local.get $out) (local.get $s20))
            (v128.store offset=16 (local.get $out) (local.get $s21))
            (local.set $out (i32.add (local.get $out) (local.get $stride)))
            (v128.store offset=0 (local.get $out) (local.get $s30))
            (v128.store offset=16 (local.get $out) (local.get $s31))
            (local.set $v (i32.add (local.get $v) (i32.const 32)))
            (br $columnBlocks)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rowQuads))))
)
