// fer-thesis patch (not in upstream compute v0.1.3): the AVX2 form of
// ferReduceSum's sum over leading axes.

//go:build amd64 && goexperiment.simd

package ops

import "simd/archsimd"

func init() {
	if archsimd.X86.AVX2() {
		ferSumRows = ferSumRowsAVX2
	}
}

// ferSumRowsAVX2 is ferSumRowsScalar with 8 columns per vector and up to 64
// columns per pass over the rows, their sums in registers: every column is
// still summed in row order, from acc's value, so the results are the
// scalar loop's bit for bit. (The scalar loop loads and stores acc[j] for
// every row: about 1 ns per element.)
func ferSumRowsAVX2(acc, in []float32, rows, period, start int) {
	n := len(acc)
	j := 0
	for ; j+64 <= n; j += 64 {
		a := acc[j:][:64]
		s0, s1 := archsimd.LoadFloat32x8Slice(a[0:]), archsimd.LoadFloat32x8Slice(a[8:])
		s2, s3 := archsimd.LoadFloat32x8Slice(a[16:]), archsimd.LoadFloat32x8Slice(a[24:])
		s4, s5 := archsimd.LoadFloat32x8Slice(a[32:]), archsimd.LoadFloat32x8Slice(a[40:])
		s6, s7 := archsimd.LoadFloat32x8Slice(a[48:]), archsimd.LoadFloat32x8Slice(a[56:])
		for r := range rows {
			x := in[r*period+start+j:][:64]
			s0, s1 = s0.Add(archsimd.LoadFloat32x8Slice(x[0:])), s1.Add(archsimd.LoadFloat32x8Slice(x[8:]))
			s2, s3 = s2.Add(archsimd.LoadFloat32x8Slice(x[16:])), s3.Add(archsimd.LoadFloat32x8Slice(x[24:]))
			s4, s5 = s4.Add(archsimd.LoadFloat32x8Slice(x[32:])), s5.Add(archsimd.LoadFloat32x8Slice(x[40:]))
			s6, s7 = s6.Add(archsimd.LoadFloat32x8Slice(x[48:])), s7.Add(archsimd.LoadFloat32x8Slice(x[56:]))
		}
		s0.StoreSlice(a[0:])
		s1.StoreSlice(a[8:])
		s2.StoreSlice(a[16:])
		s3.StoreSlice(a[24:])
		s4.StoreSlice(a[32:])
		s5.StoreSlice(a[40:])
		s6.StoreSlice(a[48:])
		s7.StoreSlice(a[56:])
	}
	for ; j+8 <= n; j += 8 {
		s := archsimd.LoadFloat32x8Slice(acc[j:])
		for r := range rows {
			s = s.Add(archsimd.LoadFloat32x8Slice(in[r*period+start+j:]))
		}
		s.StoreSlice(acc[j:])
	}
	if j < n {
		ferSumRowsScalar(acc[j:], in, rows, period, start+j)
	}
}
