/* fuzz_session_control.c — the frame parser (PROTOCOL.md §3) over arbitrary plaintext:
 * every frame that parses lies inside the input, ACK ranges are descending and disjoint,
 * and STREAM / control frames re-encode to the bytes they were parsed from. */
#include <stdint.h>
#include <string.h>

#include "session_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off = 0;
    uint8_t buf[70000];
    while (off < size) {
        us__frame f;
        int k = us__frame_decode(&f, data + off, size - off);
        if (k < 0) break;
        if ((size_t)k > size - off) __builtin_trap();
        int r = -1;
        switch (f.type) {
        case US_FT_STREAM:
            r = us__frame_stream(buf, sizeof buf, f.stream, f.offset, f.data, f.len, f.fin);
            break;
        case US_FT_MAX_DATA:
            r = us__frame_u64(buf, sizeof buf, f.type, f.value);
            break;
        case US_FT_MAX_STREAM_DATA:
            r = us__frame_stream_u64(buf, sizeof buf, f.type, f.stream, f.value);
            break;
        case US_FT_PATH_CHALLENGE:
        case US_FT_PATH_RESPONSE:
            r = us__frame_path(buf, sizeof buf, f.type, f.data);
            break;
        case US_FT_RESET_STREAM:
            r = us__frame_reset(buf, sizeof buf, f.stream, f.code, f.value);
            break;
        case US_FT_ACK:
            for (unsigned i = 0; i < f.nranges; i++) {
                if (f.ranges[i].first > f.ranges[i].last) __builtin_trap();
                if (i && f.ranges[i].last >= f.ranges[i - 1].first) __builtin_trap();
            }
            r = us__frame_ack(buf, sizeof buf, f.stream, f.code, f.ranges, f.nranges);
            break;
        default:
            break;
        }
        if (r >= 0 && (r != k || memcmp(buf, data + off, (size_t)k) != 0)) __builtin_trap();
        off += (size_t)k;
    }
    return 0;
}
