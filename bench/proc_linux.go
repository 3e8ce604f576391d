package main

import "syscall"

// childAttr puts a child in its own process group, so that a Ctrl-C reaches only the harness,
// which stops its children in order, and has Linux kill the child if the harness dies
// without stopping it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
