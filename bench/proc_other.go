//go:build !linux

package main

import "syscall"

// childAttr is nil outside Linux: the harness measures peak RSS through Linux's /proc, and
// only Linux ties a child's life to the harness's. Children there share the harness's process
// group, so a Ctrl-C reaches them too.
func childAttr() *syscall.SysProcAttr { return nil }
