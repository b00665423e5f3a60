//go:build !linux

package main

import (
	"errors"
	"net"
	"os"
)

// peerCredentials: without Linux's SO_PEERCRED studybot cannot tell who is on the other end
// of its backup socket, so it does not serve one.
const peerCredentials = false

func peerUID(net.Conn) (int, error) { return -1, errors.New("peer credentials need Linux") }

func ownedByMe(os.FileInfo) bool { return false }
