// fer-thesis patch (not in upstream compute v0.1.3): helpers that split
// copies and element-wise loops across the backend's workers. See
// third_party/compute/FER_PATCHES.md in the fer-thesis repository.

package ops

import "github.com/gomlx/compute/internal/gobackend"

// parallelMinElements is the least number of elements worth handing to
// another worker: below it, starting a goroutine costs more than it saves.
const parallelMinElements = 16384

// parallelFor splits [0, n) across the backend's free workers (and the calling
// goroutine), with chunks of at least minChunk; with no backend or a disabled
// pool it runs fn(0, n) inline.
func parallelFor(backend *gobackend.Backend, n, minChunk int, fn func(start, end int)) {
	if backend == nil || backend.Workers == nil || !backend.Workers.IsEnabled() {
		fn(0, n)
		return
	}
	backend.Workers.ParallelFor(n, minChunk, fn)
}

// forEachRun calls fn(row, offset) for every row of the row-major index
// space dims, where offset = base + Σ index[a]·steps[a]; rows are split across
// workers in chunks of at least minRows.
func forEachRun(backend *gobackend.Backend, dims, steps []int, base, minRows int, fn func(row, offset int)) {
	rows := 1
	for _, d := range dims {
		rows *= d
	}
	parallelFor(backend, rows, minRows, func(start, end int) {
		idx := make([]int, len(dims))
		offset := base
		rem := start
		for a := len(dims) - 1; a >= 0; a-- {
			idx[a] = rem % dims[a]
			rem /= dims[a]
			offset += idx[a] * steps[a]
		}
		for row := start; row < end; row++ {
			fn(row, offset)
			for a := len(dims) - 1; a >= 0; a-- {
				idx[a]++
				offset += steps[a]
				if idx[a] < dims[a] {
					break
				}
				offset -= idx[a] * steps[a]
				idx[a] = 0
			}
		}
	})
}
