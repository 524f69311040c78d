// fer-thesis patch (not in upstream compute v0.1.3): the AVX2 form of
// fer_pool.go's window-cell selection for max-pool gradients.

//go:build amd64 && goexperiment.simd

package ops

import "simd/archsimd"

func init() {
	if archsimd.X86.AVX2() {
		ferPoolSelect = ferPoolSelectAVX2
	}
}

// ferPoolLanes holds 0..7, the lane offsets of 8 consecutive channels.
var ferPoolLanes = [8]int32{0, 1, 2, 3, 4, 5, 6, 7}

// ferPoolSelectAVX2 is ferPoolSelectScalar 8 channels at a time: VCMPPS
// with the ordered greater-than (false on NaN, as Go's >) and the unordered
// not-equal of v with itself (true on NaN, as Go's !=), and blends.
func ferPoolSelectAVX2(src, bestV []float32, bestAt []int32, at int32) {
	n := len(src)
	bestV, bestAt = bestV[:n], bestAt[:n]
	lanes := archsimd.LoadInt32x8(&ferPoolLanes)
	k := 0
	for ; k+8 <= n; k += 8 {
		v := archsimd.LoadFloat32x8Slice(src[k:])
		b := archsimd.LoadFloat32x8Slice(bestV[k:])
		win := v.Greater(b).Or(v.NotEqual(v))
		v.Merge(b, win).StoreSlice(bestV[k:])
		idx := archsimd.BroadcastInt32x8(at + int32(k)).Add(lanes)
		idx.Merge(archsimd.LoadInt32x8Slice(bestAt[k:]), win).StoreSlice(bestAt[k:])
	}
	if k < n {
		ferPoolSelectScalar(src[k:], bestV[k:], bestAt[k:], at+int32(k))
	}
}
