// Peer for bench/bench.py: N goroutines, each time.Sleep(delay), joined with a
// sync.WaitGroup. Prints nothing.
//
//	go run bench/peers/goroutines.go N DELAY_SECS
package main

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goroutines N DELAY_SECS")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "N:", err)
		os.Exit(2)
	}
	secs, err := strconv.ParseFloat(os.Args[2], 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "DELAY_SECS:", err)
		os.Exit(2)
	}
	delay := time.Duration(secs * float64(time.Second))

	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer wg.Done()
			time.Sleep(delay)
		}()
	}
	wg.Wait()
}
