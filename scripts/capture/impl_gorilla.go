// impl_gorilla.go — Go gorilla/websocket (Debian's golang-github-gorilla-websocket-dev) server and
// client in one process, for scripts/capture/implementations.py. Runs the shared conversation
// (implementations.py's docstring) over two connections: uncompressed, then permessage-deflate
// (gorilla only negotiates it without context takeover both ways). Gorilla's writer cuts a message
// into frames of its write buffer (4 KiB on the server): the server's compressed messages and one
// uncompressed 10,000-byte text per connection are fragmented; the server's uncompressed binaries
// and the client's (write buffer 256 KiB) go as single frames with 64-bit lengths. Every message
// is logged by its sender before it is sent (truth format: implementations.py).
// Build and run: GOPATH=/usr/share/gocode GO111MODULE=off go run impl_gorilla.go PORT TRUTH.jsonl
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

const rounds = 12

var big = map[string]map[int]int{"client": {3: 66000, 8: 90000}, "server": {5: 150000, 10: 70000}}

var (
	truthFile *os.File
	truthLock sync.Mutex
)

func fnv1a64(data []byte) string {
	value := uint64(0xcbf29ce484222325)
	for _, b := range data {
		value = (value ^ uint64(b)) * 0x100000001b3
	}
	return fmt.Sprintf("%016x", value)
}

func payload(size int, compressible bool) []byte {
	b := make([]byte, size)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	if compressible {
		for i := range b {
			b[i] &= 0x0f
		}
	}
	return b
}

func log(client, server, from, opcode string, data []byte, compressed bool, fragments int, extra map[string]interface{}) {
	line := map[string]interface{}{
		"client": client, "server": server, "from": from, "opcode": opcode, "length": len(data),
		"compressed": compressed, "context_takeover": false, "fragments": fragments, "auto": false,
		"ts": float64(time.Now().UnixNano()) / 1e9, "logged_by": "gorilla-" + from,
	}
	if len(data) <= 4096 {
		line["data_b64"] = base64.StdEncoding.EncodeToString(data)
	} else {
		line["fnv1a64"] = fnv1a64(data)
	}
	for k, v := range extra {
		line[k] = v
	}
	encoded, _ := json.Marshal(line)
	truthLock.Lock()
	defer truthLock.Unlock()
	truthFile.Write(append(encoded, '\n'))
}

func fragmentedText(round int) []byte {
	return []byte(strings.Repeat(fmt.Sprintf("fragmented server text %d. ", round), 400)[:10000])
}

func serve(compressed bool) http.HandlerFunc {
	upgrader := websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 4096, EnableCompression: compressed}
	return func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.EnableWriteCompression(compressed)
		client, server := r.RemoteAddr, conn.LocalAddr().String()
		conn.SetCloseHandler(func(code int, text string) error {
			// Gorilla's answer to a close: the same code, no reason.
			body := websocket.FormatCloseMessage(code, "")
			log(client, server, "server", "close", body, false, 1, map[string]interface{}{"auto": true, "code": code, "reason": ""})
			return conn.WriteControl(websocket.CloseMessage, body, time.Now().Add(time.Second))
		})
		round := 0
		for {
			kind, _, err := conn.ReadMessage()
			if err != nil {
				return
			}
			if kind != websocket.TextMessage {
				continue
			}
			if size := big["server"][round]; size > 0 {
				data := payload(size, compressed)
				fragments := 1
				if compressed {
					fragments = 0 // cut by the compressed writer; not counted
				}
				log(client, server, "server", "binary", data, compressed, fragments, nil)
				conn.WriteMessage(websocket.BinaryMessage, data)
			}
			if round == 6 {
				text := fragmentedText(round)
				log(client, server, "server", "text", text, compressed, 0, nil) // frames cut by the writer; not counted
				writer, _ := conn.NextWriter(websocket.TextMessage)
				writer.Write(text)
				writer.Close()
			}
			text := []byte(fmt.Sprintf("server reply %d ✓ %s", round, strings.Repeat("x", round*7)))
			log(client, server, "server", "text", text, compressed, 1, nil)
			conn.WriteMessage(websocket.TextMessage, text)
			round++
		}
	}
}

func converse(port int, compressed bool) {
	listener, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		panic(err)
	}
	httpServer := &http.Server{Handler: serve(compressed)}
	go httpServer.Serve(listener)
	dialer := websocket.Dialer{ReadBufferSize: 4096, WriteBufferSize: 1 << 18, EnableCompression: compressed}
	conn, _, err := dialer.Dial(fmt.Sprintf("ws://127.0.0.1:%d/", port), nil)
	if err != nil {
		panic(err)
	}
	conn.EnableWriteCompression(compressed)
	client, server := conn.LocalAddr().String(), conn.RemoteAddr().String()
	for round := 0; round < rounds; round++ {
		if size := big["client"][round]; size > 0 {
			data := payload(size, compressed)
			log(client, server, "client", "binary", data, compressed, 1, nil)
			conn.WriteMessage(websocket.BinaryMessage, data)
		}
		text := []byte(fmt.Sprintf("client says %d — %s", round, strings.Repeat("y", round*5)))
		log(client, server, "client", "text", text, compressed, 1, nil)
		conn.WriteMessage(websocket.TextMessage, text)
		for {
			kind, data, err := conn.ReadMessage()
			if err != nil {
				panic(err)
			}
			if kind == websocket.TextMessage && strings.HasPrefix(string(data), "server reply") {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	body := websocket.FormatCloseMessage(1000, "client done")
	log(client, server, "client", "close", body, false, 1, map[string]interface{}{"code": 1000, "reason": "client done"})
	conn.WriteControl(websocket.CloseMessage, body, time.Now().Add(time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			break
		}
	}
	conn.Close()
	time.Sleep(100 * time.Millisecond)
	httpServer.Close()
}

func main() {
	var port int
	fmt.Sscanf(os.Args[1], "%d", &port)
	var err error
	truthFile, err = os.OpenFile(os.Args[2], os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		panic(err)
	}
	converse(port, false)
	converse(port, true)
	truthFile.Close()
}
