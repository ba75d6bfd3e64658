/* compute.c — guest: a small compute kernel mixing integer and floating-point work
 * (CRC-32 of generated data, a Mandelbrot count, 64-bit multiply/divide and bit tricks)
 * with a checksum that must equal the native build's. */
#include <stdint.h>
#include <stdio.h>

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

int main(void) {
    crc_init();
    static uint8_t buf[1 << 16];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        buf[i] = (uint8_t)((x * 0x2545F4914F6CDD1Dull) >> 56);
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (int r = 0; r < 8; r++)
        for (size_t i = 0; i < sizeof buf; i++) crc = crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    crc ^= 0xFFFFFFFFu;

    int inside = 0;
    for (int py = 0; py < 120; py++)
        for (int px = 0; px < 160; px++) {
            double cr = -2.0 + px * (3.0 / 160), ci = -1.2 + py * (2.4 / 120), zr = 0, zi = 0;
            int it = 0;
            while (it < 200 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2 * zr * zi + ci;
                zr = t;
                it++;
            }
            inside += it == 200;
        }

    uint64_t acc = 1;
    int64_t sacc = -7;
    for (uint64_t i = 1; i < 200000; i++) {
        acc = acc * 6364136223846793005ull + i;
        acc ^= acc >> 29;
        sacc += (int64_t)(acc % 1000003) - 500001;
        sacc = sacc / 3 + (int64_t)(i % 7);
        acc += (uint64_t)__builtin_popcountll(acc) + (uint64_t)__builtin_clzll(acc | 1);
    }
    printf("crc32 %08x mandel %d acc %016llx sacc %lld\n", crc, inside, (unsigned long long)acc, (long long)sacc);
    return 0;
}
