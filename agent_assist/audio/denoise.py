"""Streaming noise suppression for the voice-activity detector's input.

Silero VAD misses speech on a line at 0–3 dB SNR: the syllables barely rise above the hiss. A
short-time Wiener filter in front of it restores most of them (``docs/vad-comparison.md``):

- STFT of 32 ms frames (256 samples at 8 kHz, 512 at 16 kHz), half overlap, square-root Hann
  windows for analysis and synthesis (their product sums to one, so a gain of 1 gives the input back);
- the noise power per frequency bin by *minimum statistics* (Martin 2001, IEEE Trans. Speech Audio
  Process. 9:504): the minimum of the recursively smoothed power over the last ``window_s``, kept as
  the minima of ``subwindows`` sub-windows so it streams, times ``bias`` (the minimum of a noisy power
  sits below its mean);
- the gain by the *decision-directed* a-priori SNR (Ephraim & Malah 1984, IEEE Trans. ASSP 32:1109):
  ``xi = a * |S_prev|^2 / N + (1 - a) * max(gamma - 1, 0)``, ``G = xi / (1 + xi)``, never below
  ``floor_db`` (a deeper cut only adds "musical noise").

The output is time-aligned with the input (sample *i* out is sample *i* in, filtered); it comes out
``hop`` samples (16 ms) behind the input until ``last=True`` flushes the rest. Fed blocks of any size,
the output is the same as for the whole signal at once.
"""

from __future__ import annotations

from collections import deque

import numpy as np

TRI_FRAMES = 64  # frames smoothed per matrix product

class NoiseSuppressor:
    def __init__(self, rate: int, *, floor_db: float = -15.0, window_s: float = 1.5, subwindows: int = 6,
                 smoothing: float = 0.8, bias: float = 1.5, dd_alpha: float = 0.98) -> None:
        self.n = 512 if rate >= 16000 else 256
        self.hop = self.n // 2
        self.win = np.sqrt(np.hanning(self.n + 1)[:-1]).astype(np.float32)  # periodic Hann, square root
        frames = max(subwindows, round(window_s * rate / self.hop))
        self.sub_len = max(1, frames // subwindows)
        self.floor = float(10 ** (floor_db / 20))
        self.smoothing, self.bias, self.dd_alpha = smoothing, bias, dd_alpha
        # input not yet framed; it starts with ``hop`` zeros so the first samples are covered twice too
        self.inbuf = np.zeros(self.hop, np.float32)
        self.tail = np.zeros(self.hop, np.float32)  # the second half of the last frame, not yet output
        self.skip = self.hop  # the leading zeros' output
        self.taken = 0  # input samples so far
        self.given = 0  # output samples so far
        bins = self.n // 2 + 1
        self.power: np.ndarray | None = None  # smoothed power per bin
        self.sub_min = np.full(bins, np.inf, np.float32)  # minimum of the sub-window being filled
        self.sub_count = 0
        self.mins: deque[np.ndarray] = deque(maxlen=subwindows - 1)  # minima of the last full sub-windows
        self.past_min = np.full(bins, np.inf, np.float32)  # minimum over ``mins``
        self.clean = np.zeros(bins, np.float32)  # |S|^2 estimated for the previous frame
        # p_i = sum_j (1 - s) s^(i-j) f_j + s^(i+1) p_(-1): the smoothing as a triangular product
        lag = np.arange(TRI_FRAMES)[:, None] - np.arange(TRI_FRAMES)[None, :]
        self._tri = np.where(lag >= 0, (1 - smoothing) * smoothing ** np.maximum(lag, 0), 0).astype(np.float32)
        self._decay = (smoothing ** np.arange(1, TRI_FRAMES + 1)).astype(np.float32)

    def process(self, x: np.ndarray, last: bool = False) -> np.ndarray:
        """Filter the next samples (float, any scale); returns the filtered samples ready so far."""
        x = np.asarray(x, np.float32)
        self.taken += len(x)
        buf = np.concatenate((self.inbuf, x))
        if last:  # zeros to push the last real samples through both frames that cover them
            buf = np.concatenate((buf, np.zeros(self.n, np.float32)))
        k = (len(buf) - self.n) // self.hop + 1 if len(buf) >= self.n else 0
        if k <= 0:
            self.inbuf = buf
            return np.zeros(0, np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(buf[: (k + 1) * self.hop], self.n)[:: self.hop]
        spec = np.fft.rfft(frames * self.win, axis=1)
        gains = self._gains(spec.real ** 2 + spec.imag ** 2)
        spec *= gains
        y = np.fft.irfft(spec, n=self.n, axis=1) * self.win
        out = np.empty((k, self.hop), np.float32)
        out[0] = self.tail + y[0, :self.hop]
        out[1:] = y[:-1, self.hop:] + y[1:, :self.hop]
        self.tail = y[-1, self.hop:].astype(np.float32)
        self.inbuf = buf[k * self.hop:]
        flat = out.reshape(-1)
        if self.skip:
            cut = min(self.skip, len(flat))
            flat, self.skip = flat[cut:], self.skip - cut
        if last:
            flat = flat[: self.taken - self.given]
            self.inbuf = np.zeros(self.hop, np.float32)
        self.given += len(flat)
        return flat

    def _gains(self, pw: np.ndarray) -> np.ndarray:
        """The gain per frame and bin for the power spectra ``pw`` (frames x bins), state carried on."""
        k = len(pw)
        a = self.dd_alpha
        # the recursively smoothed power p_i = s p_(i-1) + (1 - s) f_i, TRI_FRAMES frames per product
        p = np.empty_like(pw)
        prev = self.power if self.power is not None else pw[0]
        for at in range(0, k, TRI_FRAMES):
            f = pw[at:at + TRI_FRAMES]
            m = len(f)
            p[at:at + m] = self._tri[:m, :m] @ f + self._decay[:m, None] * prev
            prev = p[at + m - 1]
        self.power = prev.copy()
        # minimum statistics: the minimum over the sub-window being filled and the last full ones
        noise = np.empty_like(pw)
        at = 0
        while at < k:
            m = min(k - at, self.sub_len - self.sub_count)
            run = np.minimum.accumulate(np.concatenate((self.sub_min[None], p[at:at + m])), axis=0)[1:]
            np.minimum(run, self.past_min, out=noise[at:at + m])
            self.sub_count += m
            if self.sub_count == self.sub_len:
                self.mins.append(run[-1].copy())
                self.past_min = np.minimum.reduce(self.mins) if len(self.mins) > 1 else self.mins[0].copy()
                self.sub_count = 0
                self.sub_min = p[at + m - 1].copy()
            else:
                self.sub_min = run[-1].copy()
            at += m
        noise = noise * self.bias + 1e-12
        # decision-directed a-priori SNR: the one recursion left, frame by frame
        gain_a = a / noise
        ml = (1.0 - a) * np.maximum(pw / noise - 1.0, 0.0)
        g = np.empty_like(pw)
        clean, xi, t = self.clean, np.empty_like(self.clean), np.empty_like(self.clean)
        floor = self.floor
        for i in range(k):
            np.multiply(gain_a[i], clean, out=xi)
            xi += ml[i]
            np.add(xi, 1.0, out=t)
            gi = g[i]
            np.divide(xi, t, out=gi)
            np.maximum(gi, floor, out=gi)
            clean = gi * gi
            clean *= pw[i]
        self.clean = clean
        return g
