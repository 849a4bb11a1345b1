;; The two row kernels of binomialLossGradient, in WebAssembly SIMD (f64x2), bit for bit the scalar loops of
;; binomial-loss.ts: multiplies and adds rounded separately (no fused multiply-add), in the same order per value.
;; Assembled into row-kernels-wasm.ts by `node bench/train/assemble-row-kernels.mjs` (fetches wabt through npx);
;; edit this file, then re-run that script.
;;
;; Memory layout (byte offsets, all chosen by the caller): a block of rows of X (row-major float64), w, z, the
;; per-row gradient weights g and the gradient accumulator acc. The caller copies each block of X in, so X itself
;; never has to live in wasm memory.
(module
  (memory (export "memory") 1)

  ;; z[r] = x_r · w for `rows` consecutive rows of `cols` values from byte offset $x, summed as rowDot does:
  ;; four accumulators s0..s3 over the columns j ≡ 0..3 (mod 4), held as the lanes (s0, s1) and (s2, s3); the
  ;; cols % 4 tail goes into s0; the result is (s0 + s1) + (s2 + s3).
  ;; Rows go in pairs that share the loads of w, then a last single row when `rows` is odd.
  (func (export "dots") (param $x i32) (param $rows i32) (param $cols i32) (param $w i32) (param $z i32)
    (local $r i32) (local $j i32) (local $q i32) (local $main i32) (local $x1 i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128) (local $wa v128) (local $wb v128)
    (local $s0 f64) (local $t0 f64)
    (local.set $main (i32.and (local.get $cols) (i32.const -4)))
    (block $pairsDone
      (loop $pairLoop
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $r) (i32.const 2)) (local.get $rows)))
        (local.set $a (f64x2.splat (f64.const 0)))
        (local.set $b (f64x2.splat (f64.const 0)))
        (local.set $c (f64x2.splat (f64.const 0)))
        (local.set $d (f64x2.splat (f64.const 0)))
        (local.set $q (local.get $w))
        (local.set $x1 (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $mainDone
          (loop $mainLoop
            (br_if $mainDone (i32.ge_u (local.get $j) (local.get $main)))
            (local.set $wa (v128.load (local.get $q)))
            (local.set $wb (v128.load offset=16 (local.get $q)))
            (local.set $a (f64x2.add (local.get $a) (f64x2.mul (v128.load (local.get $x)) (local.get $wa))))
            (local.set $b (f64x2.add (local.get $b) (f64x2.mul (v128.load offset=16 (local.get $x)) (local.get $wb))))
            (local.set $c (f64x2.add (local.get $c) (f64x2.mul (v128.load (local.get $x1)) (local.get $wa))))
            (local.set $d (f64x2.add (local.get $d) (f64x2.mul (v128.load offset=16 (local.get $x1)) (local.get $wb))))
            (local.set $x (i32.add (local.get $x) (i32.const 32)))
            (local.set $x1 (i32.add (local.get $x1) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $mainLoop)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $a)))
        (local.set $t0 (f64x2.extract_lane 0 (local.get $c)))
        (block $tailDone
          (loop $tailLoop
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (local.get $x)) (f64.load (local.get $q)))))
            (local.set $t0 (f64.add (local.get $t0) (f64.mul (f64.load (local.get $x1)) (f64.load (local.get $q)))))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (local.set $x1 (i32.add (local.get $x1) (i32.const 8)))
            (local.set $q (i32.add (local.get $q) (i32.const 8)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tailLoop)))
        (f64.store (local.get $z)
          (f64.add
            (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $a)))
            (f64.add (f64x2.extract_lane 0 (local.get $b)) (f64x2.extract_lane 1 (local.get $b)))))
        (f64.store offset=8 (local.get $z)
          (f64.add
            (f64.add (local.get $t0) (f64x2.extract_lane 1 (local.get $c)))
            (f64.add (f64x2.extract_lane 0 (local.get $d)) (f64x2.extract_lane 1 (local.get $d)))))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $x (local.get $x1))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $pairLoop)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $a (f64x2.splat (f64.const 0)))
        (local.set $b (f64x2.splat (f64.const 0)))
        (local.set $q (local.get $w))
        (local.set $j (i32.const 0))
        (block $mainDone
          (loop $mainLoop
            (br_if $mainDone (i32.ge_u (local.get $j) (local.get $main)))
            (local.set $a
              (f64x2.add (local.get $a) (f64x2.mul (v128.load (local.get $x)) (v128.load (local.get $q)))))
            (local.set $b
              (f64x2.add (local.get $b)
                (f64x2.mul (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $q)))))
            (local.set $x (i32.add (local.get $x) (i32.const 32)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $mainLoop)))
        (local.set $s0 (f64x2.extract_lane 0 (local.get $a)))
        (block $tailDone
          (loop $tailLoop
            (br_if $tailDone (i32.ge_u (local.get $j) (local.get $cols)))
            (local.set $s0 (f64.add (local.get $s0) (f64.mul (f64.load (local.get $x)) (f64.load (local.get $q)))))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))
            (local.set $q (i32.add (local.get $q) (i32.const 8)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $tailLoop)))
        (f64.store (local.get $z)
          (f64.add
            (f64.add (local.get $s0) (f64x2.extract_lane 1 (local.get $a)))
            (f64.add (f64x2.extract_lane 0 (local.get $b)) (f64x2.extract_lane 1 (local.get $b)))))
        (local.set $z (i32.add (local.get $z) (i32.const 8)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop))))

  ;; acc[j] = acc[j] + g[r] · x_r[j] for `rows` consecutive rows from byte offset $x, row after row, as rowAxpy does.
  ;; Rows go in pairs, acc[j] = (acc[j] + g[r]·x_r[j]) + g[r+1]·x_{r+1}[j] (one load and store of acc per pair),
  ;; then a last single row when `rows` is odd.
  (func (export "axpys") (param $x i32) (param $rows i32) (param $cols i32) (param $g i32) (param $acc i32)
    (local $r i32) (local $j i32) (local $q i32) (local $main i32) (local $x1 i32)
    (local $scale f64) (local $scale1 f64) (local $s v128) (local $s1 v128)
    (local.set $main (i32.and (local.get $cols) (i32.const -2)))
    (block $pairsDone
      (loop $pairLoop
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $r) (i32.const 2)) (local.get $rows)))
        (local.set $scale (f64.load (local.get $g)))
        (local.set $scale1 (f64.load offset=8 (local.get $g)))
        (local.set $s (f64x2.splat (local.get $scale)))
        (local.set $s1 (f64x2.splat (local.get $scale1)))
        (local.set $q (local.get $acc))
        (local.set $x1 (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $mainDone
          (loop $mainLoop
            (br_if $mainDone (i32.ge_u (local.get $j) (local.get $main)))
            (v128.store (local.get $q)
              (f64x2.add
                (f64x2.add (v128.load (local.get $q)) (f64x2.mul (local.get $s) (v128.load (local.get $x))))
                (f64x2.mul (local.get $s1) (v128.load (local.get $x1)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $x1 (i32.add (local.get $x1) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $mainLoop)))
        (if (i32.lt_u (local.get $j) (local.get $cols))
          (then
            (f64.store (local.get $q)
              (f64.add
                (f64.add (f64.load (local.get $q)) (f64.mul (local.get $scale) (f64.load (local.get $x))))
                (f64.mul (local.get $scale1) (f64.load (local.get $x1)))))
            (local.set $x1 (i32.add (local.get $x1) (i32.const 8)))))
        (local.set $x (local.get $x1))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $r (i32.add (local.get $r) (i32.const 2)))
        (br $pairLoop)))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $r) (local.get $rows)))
        (local.set $scale (f64.load (local.get $g)))
        (local.set $s (f64x2.splat (local.get $scale)))
        (local.set $q (local.get $acc))
        (local.set $j (i32.const 0))
        (block $mainDone
          (loop $mainLoop
            (br_if $mainDone (i32.ge_u (local.get $j) (local.get $main)))
            (v128.store (local.get $q)
              (f64x2.add (v128.load (local.get $q)) (f64x2.mul (local.get $s) (v128.load (local.get $x)))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $mainLoop)))
        (if (i32.lt_u (local.get $j) (local.get $cols))
          (then
            (f64.store (local.get $q)
              (f64.add (f64.load (local.get $q)) (f64.mul (local.get $scale) (f64.load (local.get $x)))))
            (local.set $x (i32.add (local.get $x) (i32.const 8)))))
        (local.set $g (i32.add (local.get $g) (i32.const 8)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rowLoop)))))
