# English messages. The catalogue test (tests/i18n.rs) checks that zh-CN.ftl has exactly the
# same keys with the same { $placeables }, and that every key used in src/ is here.
# Syntax: Project Fluent (key = text; indented lines continue the text; { $name };
# plurals as { $n -> [one] … *[other] … }).

## Tabs
tab-forward = ① Forward noising
tab-reverse = ② Reverse denoising
tab-likelihood = ③ Likelihood p(x|z)
tab-curves = ④ Loss & ELBO
tab-world = ⑤ 1-D / 2-D world

## Settings panel
settings-heading = Settings
settings-schedule = Noise schedule
settings-schedule-tip = How fast noise is added. linear: β grows from 1e-4 to 0.02 at T = 1000 (Ho et al. 2020); for other T both ends are scaled by 1000/T. cosine: ᾱ follows a cosine, keeping more of the image at small t (Nichol & Dhariwal 2021). sigmoid: ᾱ follows a sigmoid ramp.
settings-t-tip = T, the number of noising steps. More steps make each step smaller; DDPM sampling takes T steps.
settings-batch = batch
settings-batch-tip = Images per training step. Larger batches give smoother loss curves but slower steps.
settings-apply = Apply to model (restarts training)
settings-apply-tip = The model was trained for one schedule; changing it means training a new model from scratch.
settings-model-uses = The model uses { $schedule } with T = { $t }.
settings-training = Training
settings-lr-tip = Adam's learning rate (2e-4 by default). Too high and the loss explodes: the app catches a NaN, rolls back and pauses.
settings-autosave-prefix = autosave every{" "}
settings-autosave-suffix = {" "}steps
settings-autosave-tip = Save the run in the background every this many steps (0: off), so it can be resumed after a crash or a restart.
settings-seed-prefix = seed{" "}
settings-seed-tip = Seed for resetting the weights and for the sampling noise: the same seed gives the same pictures.
settings-sampling = Sampling
settings-ddpm-tip = Ancestral sampling: all T steps, adding fresh noise at each one (Ho et al. 2020).
settings-ddim-tip = DDIM: a few large deterministic jumps along the same marginals (Song et al. 2021).
settings-steps = steps
settings-steps-tip = How many denoising steps DDIM takes between T and 0.
settings-eta-tip = DDIM's η: 0 is deterministic, 1 adds as much noise as DDPM.
settings-samples = samples
settings-samples-tip = How many images to generate at once.
settings-auto-resample = redraw samples while training
settings-auto-resample-tip = Re-run the sampler from the same noise while training, so you can watch one sample improve.
settings-resample-every = every
settings-resample-every-tip = While training, draw a new sample grid every this many seconds (the same noise each time, so you can watch one sample change).
settings-weights = weights
settings-weights-ema = EMA
settings-weights-raw = raw
settings-weights-tip = Which weights draw the samples: the exponential moving average θ_ema (smooth; it restarts from the current weights when the data change) or the raw weights θ of the last step (they follow the data at once, but noisily).
settings-training-fps = redraw at most
settings-training-fps-tip = While the model trains or samples, the window redraws at most this often (30 a second by default on a GPU). Input always redraws at once.
settings-training-fps-software-tip = The CPU draws this window (no GPU): each frame takes time from training, so while the model trains or samples the window redraws only this often (once a second by default). Input always redraws at once.
settings-training-fps-default = default
weights-ema = EMA weights
weights-raw = raw weights

## Notices and the top bar
notice-thread-start-failed = could not start the training thread: { $error }
notice-thread-not-running = the training thread is not running
notice-model-loading = the model is still loading
notice-showing = showing { $name }
dialog-images = images
notice-dialog-failed = cannot open a file dialog: { $error }
notice-skipped = skipped { $files }
notice-decode-start-failed = cannot start decoding: { $error }
notice-sampling-failed = sampling failed: { $reason }
notice-saved-checkpoint = saved checkpoint { $path }
notice-opened-checkpoint = opened checkpoint { $path } (step { $step })
notice-thread-stopped = the training thread stopped: { $error }
notice-image-failed = could not open the image: { $error }. The current image is kept.
notice-saved = saved { $path }
notice-save-failed = could not save { $path }: { $error }
notice-kept-data = kept the current data: { $error }
notice-nothing-to-export = nothing to export yet: sample first
notice-writing-gif = writing the GIF…
notice-dismiss = Dismiss
dropped-file = dropped file
drop-overlay =
    Drop to load the image
    (several images: train on them)
app-title = Diffusion Playground
top-data = data: { $data }
top-data-builtin = built-in: { $name }
top-data-folder = a folder of images…
top-data-current = the current image only
top-data-tip = What the model trains on. Drop several images on the window to train on them.
top-device = device: { $device }
top-frame-times = this window: 99% of the last 120 frames took ≤ { $ms } ms
top-device-switching = device: switching…
top-loading = choosing a device and loading the model…
top-pause = ❚❚ Pause
top-pause-tip = Pause training; the model is kept.
top-train = ▶ Train
top-train-tip = Train the model in the background; the window stays responsive.
top-100-steps = » 100 steps
top-100-steps-tip = Train exactly 100 steps, then pause: handy for watching training in small slices.
top-reset = ↺ Reset
top-reset-tip = Start again from fresh random weights (seed from Settings).
top-step = step { $step }
top-loss = loss { $loss }
top-rate = { $rate } img/s
menu-file = File
menu-open-image = Open image…
menu-save-checkpoint = Save checkpoint…
menu-open-checkpoint = Open checkpoint…
menu-export-png = Export view as PNG…
menu-export-csv = Export curves as CSV…
menu-about = About diffusion-playground…
device-menu-run-on = Train and sample on:
device-choice-auto = Auto: a real GPU if there is one, else the CPU
device-choice-gpu = GPU (wgpu)
device-choice-cpu = CPU (flex)
device-menu-carry = Switching keeps the weights, the optimizer state and the step; training goes on if it was running.
about-title = About
about-version = diffusion-playground { $version }
about-what = Learn diffusion models (DDPM/DDIM) by training one live on your own machine.
about-device = Device
about-driver = API and driver
about-why = Why this device
about-gpu-cache = GPU tuning cache
about-autosave = Autosaved run
about-none = (none on this system)
about-gpu-cache-tip = The GPU remembers there which of its kernels are fastest for each layer, so later starts skip the tuning. Deleting the folder is safe.
top-lesson = Lesson
top-settings = ⚙ Settings
top-settings-tip = The window is too narrow to dock the settings beside the panels: open them here.
top-language-tip = Language of the whole app (remembered).
top-more-tip = More: what does not fit on this row.
resume-found = An autosaved run (step { $step }) was found in { $dir }.
resume-button = Resume last run (step { $step })
resume-fresh = Start fresh
data-starting = starting…
data-dropped = { $n ->
        [one] 1 dropped image
       *[other] { $n } dropped images
    }
data-one-image = 1 image: { $name }
data-folder = { $path } ({ $summary })

## Forward panel
forward-open-tip = Pick an image file (or drag one onto the window).
forward-examples = Examples
forward-train-on-image = Train on this image
forward-train-on-image-tip = Make this image the whole training set and start training at once: the model will learn to reproduce it, and panel ③ shows G(z) walking toward it.
forward-x-t-tip = x_t = √ᾱ_t · x₀ + √(1−ᾱ_t) · ε, with one fixed draw of ε
forward-play-tip = Play t from here to T
forward-t-tip = The timestep: 0 is the clean image, T is (almost) pure noise.
forward-mix = x_t = { $a } · x₀ + { $b } · ε      (signal share { $share } %)
forward-denoise = Noise my image to t, then denoise →
forward-denoise-tip = Run the reverse process from this x_t and see what the model recovers.
forward-strip = x_t at evenly spaced t (click one to jump there):
forward-plot-alpha-bar = ᾱ_t (signal kept) and 1 − ᾱ_t (noise)
forward-plot-beta = β_t (noise added per step)
forward-plot-histogram = pixel values of x_t vs the N(0, 1) density
forward-histogram-bars = x_t values
forward-axis-density = density
forward-axis-share = share
forward-axis-value = value of x_t
forward-key-t = the current t
forward-key-noise = 1 − ᾱ_t (noise)
forward-key-alpha-bar = ᾱ_t (signal kept)
example-sunset = Sunset
example-checkerboard = Checkerboard
example-shape = Shape
example-digit = Digit
example-rings = Rings

## Reverse panel
reverse-sampling = sampling…
reverse-latest = Latest samples (step { $step }, { $weights })
reverse-thumb-tip = Samples from the current model (the weights chosen in Settings). Click to open panel ②.
reverse-sample = ⚄ Sample from noise
reverse-sample-tip = Start from x_T ~ N(0, I) with the seed in Settings and denoise to x₀ with the weights chosen in Settings (EMA by default).
reverse-from-image = Noise my image to t, then denoise
reverse-from-image-tip = Take the image from panel ①, noise it to the t chosen there, and run the reverse process from that x_t.
reverse-cancel = Cancel
reverse-export-gif = Export GIF…
reverse-export-gif-tip = Save this trajectory as an animated GIF
reverse-none-yet = No samples yet: press “Sample from noise”.
reverse-origin-noise = from noise
reverse-origin-image = from your image noised to t = { $t }
reverse-caption = { $n ->
        [one] 1 sample
       *[other] { $n } samples
    } { $origin }, { $weights } of step { $step }; frame { $frame }/{ $frames }: t = { $t }
reverse-frame = frame
reverse-frame-tip = Scrub through the reverse process: left is x_T (noise), right is x₀.
reverse-x0-hat = x̂₀ = (x_t − √(1−ᾱ_t) ε̂) / √ᾱ_t   (the model's guess of the clean image)
reverse-final = final samples x₀
reverse-nearest = nearest training image to each (mean RMS distance { $d } of 255)
reverse-nearest-tip = A distance near 0 means the model has memorised a training image rather than made a new one: watch for it on tiny datasets.

## Likelihood panel
likelihood-ask = Ask the model for G(z) now
likelihood-ask-tip = Run the generator G on the N fixed prior draws z with the current EMA weights. While training runs with this panel open, this happens every 100 steps.
likelihood-g-def = G = DDIM, { $steps } steps, η = 0 (deterministic), EMA weights · N = { $n } fixed draws z ~ N(0, I)
likelihood-indicator = indicator: p(x|z) = 1 if G(z) = x else 0
likelihood-gaussian = Gaussian: p(x|z) = N(x; G(z), σ²I)
likelihood-toggle-tip = Switch between the two definitions of p(x|z) from the study note.
likelihood-sigma-tip = The standard deviation σ of p(x|z) = N(x; G(z), σ²I): how much slack it allows around G(z).
likelihood-z-title = z = draw { $k } of { $n } (±2 shown as black/white)
likelihood-g-title = G(z) at step { $step }
likelihood-x = x (click a pixel to study it):
likelihood-pixel = pixel ({ $u }, { $v })
likelihood-ask-first = Ask the model for G(z) to see P(x).
likelihood-integral = P(x) = ∫ P(z) p(x|z) dz ≈ (1/N) Σᵢ p(x|zᵢ), zᵢ ~ N(0, I)
likelihood-indicator-estimate = G(zᵢ) = x on all { $d } values (the same 8-bit level everywhere) for { $hits } of { $n } draws → P(x) ≈ { $hits }/{ $n }.
likelihood-indicator-zero = No draw hits x exactly. For a continuous G the set of z with G(z) = x has probability 0, so for almost every x P(x) = 0, whatever N: the indicator likelihood gives almost every real image probability zero, and no gradient. (The exception: a G clipped at ±1 gives saturated images, all black or white, positive mass.)
likelihood-gaussian-estimate = log P(x) ≈ { $log_p } ± { $se } nats that y ~ N(G(z), σ²I) lands in x's 8-bit bins, for the whole image ({ $d } values) = { $bpd } bits/dim (−log₂ P(x)/d, the −ELBO's unit), over N = { $n } draws ({ $eff } effective), σ = { $sigma }. This P_θ is G plus σ: a different model from panel ④'s diffusion model p_θ.
likelihood-dominated = Fewer than 2 effective draws: the sum is dominated by draw { $k }, the z whose G(z) lies nearest x (shown above). The ± is only indicative, and the log of a Monte Carlo mean is too low on average (Jensen).
likelihood-ode-escape = A third way out of the collapse: the probability-flow ODE (panel ④, "Exact likelihood (ODE)") makes G invertible and of the image's own dimension, so P(x) = N(G⁻¹(x)) · |det ∂G⁻¹/∂x| is a finite density with no σ at all.
likelihood-best-draw = The largest weight is draw { $k }'s, the z whose G(z) lies nearest x (shown above).
likelihood-bell = The bell N(·; G(z), σ²) at the studied value for draw { $k }, step { $step }: G(z) = { $g }, x = { $x }. Grey: the other steps.
likelihood-step-scrub = training step
likelihood-axis-value = value (unit space, −1 … 1)
likelihood-axis-density = density
likelihood-spike = p(·|z): all mass at G(z)
likelihood-bell-now = N(·; G(z), σ²)
likelihood-x-line = x
likelihood-collapse = P(y lands on x's 8-bit levels in the first d values) as d grows to the whole image:
likelihood-axis-d = d, the number of values (log scale)
likelihood-axis-log-p = log₁₀ P
likelihood-collapse-gaussian = Gaussian: (1/N) Σᵢ P(y in x's bins | zᵢ), the bins open at ±1
likelihood-collapse-indicator = indicator: hits/N
likelihood-zero-hits = indicator: 0 hits, P = 0 (log = −∞)
likelihood-one-over-n = 1/N = 1/{ $n }: the smallest non-zero hit rate
likelihood-collapse-note = ▼ at the bottom edge: zero hits out of { $n }, log P = −∞. The Gaussian curve is exact in log space (a log-CDF), however small.
likelihood-walk = G(z) walks toward x: the RMS distance ‖G(z) − x‖ (unit space) over training, the same z at every step
likelihood-follow-best = follow the z that explains x best
likelihood-follow-best-tip = Off: pick which of the N draws to follow.
likelihood-walk-empty = Train with this panel open (or ask again after training) to see G(z) move.
likelihood-axis-step = training step
likelihood-axis-rms = RMS
likelihood-walk-followed = draw { $k }
likelihood-walk-nearest = nearest of all N draws
likelihood-key-other-steps = other training steps
likelihood-table =
    log P(x's 8-bit bins) ≈ { $log_p } ± { $se } nats ({ $dims } values) = { $bpd } bits/dim, σ = { $sigma }, { $eff } effective draws
    continuous density (not a probability, not comparable with bits/dim): log p(x) ≈ { $density } nats
    indicator: G(z) = x for { $hits } of { $draws } draws
likelihood-table-few-draws = warning: fewer than 2 effective draws, so log P(x) is biased low and its ± is only indicative.

## Curves panel
curves-smoothing = smoothing
curves-export = Export CSV…
curves-export-tip = Save every curve as a CSV file (and every estimate's per-t terms beside it)
curves-elbo-now = Estimate now (K = { $k } strata)
curves-elbo-now-tip = Every t of the head 2 … 1+⌈T/100⌉ exactly (most of the sum sits there), then one random t in each of K equal strata of the rest for every image, weighted by the stratum's size: an unbiased estimate of Σ L_(t−1) whose error bar covers it.
curves-elbo-exact = Exact (all { $n } t)
curves-elbo-exact-tip = Sum every term t = 2 … T. Takes T−1 network evaluations of the batch (training and sampling wait meanwhile).
curves-elbo-pending = estimating −ELBO…
curves-last-elbo = −ELBO (NLL upper bound) at step { $step }: { $total } bits/dim = L_T { $prior } + ΣL_(t−1) { $diffusion } + L_0 { $decoder }
curves-elbo-how-strata = Σ L_(t−1): every t = 2 … { $head } exactly, then K = { $k } strata of the rest, one random t and one noise draw per stratum and image; { $images ->
        [one] 1 image
       *[other] { $images } images
    }; ± one standard error over the images
curves-elbo-how-all = Σ L_(t−1) over all { $n } t, one noise draw per t and image; { $images ->
        [one] 1 image
       *[other] { $images } images
    }; ± one standard error over the images
curves-elbo-how-file = read from a curves file
curves-elbo-how-unknown = read from an older curves file, which did not record how Σ L_(t−1) was estimated (every t, or K strata without the exact head)
curves-elbo-how-midpoint = read from an old curves file: Σ L_(t−1) by the old midpoint rule (20 fixed t), a biased estimate with no error bar
curves-vlb-ode = ODE (exact)
ode-button = Exact likelihood (ODE)
ode-button-tip = The same network's probability-flow ODE, dx/dt = −½β(t)[x − ε̂(x, t)/σ_t], is an invertible map of the images' own dimension, so log p(x) = log N(x_T; 0, I) + ∫ div f dt is exact, not a bound. Heun, 100 steps (200 network calls per image), Hutchinson's trace with one probe, each image dequantised once inside its 8-bit bins; −ELBO is estimated at the same step. One image at a time between training steps.
ode-progress = ODE likelihood: { $done }/{ $total } images scored (weights of step { $step })…
ode-result = Probability-flow ODE at step { $step }: { $bits } ± { $se } bits/dim, the exact likelihood of the same network ({ $images } evaluation images, { $method }, { $nfe } network calls per image, { $probes } Hutchinson probe)
ode-gap = −ELBO at the same step on the same images: { $elbo } ± { $elbo_se } bits/dim. The bound's slack, −ELBO − ODE: { $gap } ± { $gap_se } bits/dim (paired over the images).
ode-gap-none = Estimate −ELBO at step { $step } to see the gap.
ode-two-models = One network, two models: −ELBO bounds the diffusion model's −log p from above; the ODE turns the same ε̂ into an invertible G with an exact likelihood. Both are in bits/dim of 8-bit bins.
curves-batch-unknown = batch not recorded
curves-no-data = No data yet: press Train.
curves-loss = L_simple = mean over all values of (ε − ε_θ(x_t, t))², per step (and on the evaluation batch)
curves-loss-train = L_simple (train)
curves-loss-held-out = L_simple (evaluation batch, EMA)
curves-throughput = images / s
curves-axis-step = training step
curves-axis-l-simple = L_simple (per value)
curves-axis-images-per-s = images / s
curves-axis-bpd = bits/dim
curves-axis-bpd-log = bits/dim (log scale)
curves-key-stderr = ± one standard error
curves-axis-t-log = t (log scale)
curves-vlb = −ELBO (an upper bound on −log₂ p(x), bits/dim) and its terms
curves-vlb-total = −ELBO (total)
curves-vlb-prior = L_T (prior)
curves-vlb-decoder = L_0 (decoder)
curves-per-t = L_(t−1) against t from t = 1 (t = 1: L_0), bits/dim, first and latest estimate
curves-l0-floor = L_0 has a floor: the decoder's σ₁ = √β̃₂ (β̃₁ = 0 is clipped to β̃₂) is { $sigma }, about one 8-bit level (2/255 ≈ 0.0078) wide, so even a perfect x̂₀ puts only part of N(x̂₀, σ₁²) in x₀'s bin: L_0 ≥ { $floor } bits/dim for every value away from the ends of the range.

## Evaluation: the ELBO batch, `elbo` and `likelihood`
eval-batch-fresh = evaluation batch: 8 fresh draws of the built-in dataset (never trained on as such)
eval-batch-held-out = evaluation batch: { $n ->
        [one] 1 held-out image
       *[other] { $n } held-out images
    } (every tenth image, never trained on)
eval-batch-training = evaluation batch: the training images (fewer than 10, so none held out)
split-err-no-heldout = the folder has { $images } images, fewer than { $from }, so none is held out: use --split train or --split all
worker-training-on-one-image = training on this one image
worker-training-on-this-image = training on this image alone, with batch { $batch } and learning rate { $lr } (were { $was_batch } and { $was_lr }) so that it shows in the samples within a minute; the EMA restarted from the current weights
elbo-table =
    −ELBO (NLL upper bound): { $total } ± { $se } bits/dim  (step { $step }, { $images ->
        [one] 1 image
       *[other] { $images } images
    }, { $k } timesteps of Σ per image)
      L_T          { $prior }
      Σ L_(t−1)    { $sum }
      L_0          { $decoder }
cli-elbo-about = Estimate −ELBO, the variational upper bound on −log p(x), of a checkpoint in bits/dim.
cli-elbo-long =
    −ELBO = L_T + Σ L_(t−1) + L_0 on a batch of images, each term in bits per dimension.
    Σ L_(t−1) has T−1 terms: --strata all evaluates every one; --strata K evaluates every t of the head 2 … 1+⌈T/100⌉ and draws one t in each of K equal strata of the rest per image, weighted by the stratum's size, which is unbiased. Standard errors are over the images.
cli-elbo-checkpoint = A checkpoint folder.
cli-elbo-data = The images: builtin:shapes, builtin:digits or a folder.
cli-elbo-images = How many images to evaluate.
cli-elbo-strata = K strata of the t after an exact head 2 … 1+⌈T/100⌉ (one random t in each, per image), or `all` for every t.
cli-elbo-seed = Seed of the random t and the noise (the images stay the same for every seed).
cli-elbo-device = Device, as for train.
cli-elbo-json = Print one JSON object instead of a table.
cli-likelihood-about = Estimate P(x) = ∫ N(z; 0, I) N(x; G(z), σ²I) dz for one image, and count the indicator likelihood's hits G(z) = x.
cli-likelihood-long =
    G is the deterministic DDIM chain (η = 0) with the checkpoint's EMA weights, and z are N prior draws. P(x) is estimated as (1/N) Σ N(x; G(zᵢ), σ²I) in log space, with its standard error.
    The indicator likelihood (1 if G(z) = x, else 0) gives P(x) = 0 for almost every x; the Gaussian one gives every x a density, larger the nearer some G(z) comes to x.
cli-likelihood-checkpoint = A checkpoint folder.
cli-likelihood-image = The image x (centre-cropped and resized to the model's size).
cli-likelihood-draws = N, the number of prior draws z ~ N(0, I).
cli-likelihood-sigma = σ of p(x|z) = N(x; G(z), σ²I), from 0.001 to 10.
cli-likelihood-seed = Seed of the draws.
cli-likelihood-steps = DDIM steps of G.
cli-likelihood-device = Device, as for train.
cli-likelihood-json = Print one JSON object instead of a table.
cli-likelihood-data = Instead of one image: a dataset (builtin:shapes, builtin:digits or a folder), whose --images images of --split are each scored with the same prior draws.
cli-likelihood-images = With --data: how many images.
cli-likelihood-split = With --data: which images, heldout (the default), train or all.
likelihood-set-table = P_θ = G (DDIM) plus σ = { $sigma } on { $images } { $split } images: { $bpd } ± { $se } bits/dim of their 8-bit bins (N = { $draws } shared prior draws; fewest effective draws of any image { $eff })
nll-table =
    probability-flow ODE: { $bits } ± { $se } bits/dim  ({ $images } { $split } images, step { $step }, { $method }, { $nfe } network calls per solve, { $probes } Hutchinson probes, { $seconds } s per image)
    the same images' −ELBO (every t): { $elbo } ± { $elbo_se } bits/dim
    Both are the same network: the ODE's figure is its exact likelihood (plus the dequantisation's Jensen gap), the −ELBO an upper bound on it.
cli-nll-about = The exact likelihood of a checkpoint's probability-flow ODE, in bits/dim, beside the same images' −ELBO.
cli-nll-long =
    The reverse ODE is an invertible G of the data's own dimension, so P(x) = N(G⁻¹(x)) |det ∂G⁻¹/∂x| is finite: log p(x) = log N(x_T; 0, I) + ∫ div f dt.
    The divergence is Hutchinson's estimate with --probes Rademacher vectors, and each image is dequantised once inside its 8-bit bins. Standard errors are over the images.
cli-nll-checkpoint = A checkpoint folder.
cli-nll-data = The images: builtin:shapes, builtin:digits or a folder.
cli-nll-images = How many images to evaluate.
cli-nll-split = Which images: heldout (never trained on, the default), train or all.
cli-nll-probes = K Rademacher probes per image for the trace (Hutchinson).
cli-nll-solver = The integrator: rk45 (adaptive steps) or heun (fixed steps).
cli-nll-rtol = RK45's relative tolerance.
cli-nll-atol = RK45's absolute tolerance.
cli-nll-steps = Heun's steps.
cli-nll-seed = Seed of the dequantisation and the probes.
cli-nll-no-elbo = Skip the same images' −ELBO (every t).
cli-nll-device = Device, as for train.
cli-nll-json = Print one JSON object instead of a table.
cli-elbo-split = Which images: heldout (never trained on, the default), train or all.

## Lesson
lesson-heading = Guided lesson
lesson-subtitle = Follows the study note: from the premise of diffusion to the likelihood p(x|z).
lesson-back = ◀ Back
lesson-next = Next ▶
lesson-show-me = Show me
lesson-show-me-tip = Set up the panel for this step again
lesson-1-title = 1 · The premise
lesson-1-body =
    Every image is a sample from some probability distribution. Pure Gaussian noise is a sample from a simple one, N(0, I); a photo is a sample from a very complicated one. A diffusion model learns to carry samples from the simple distribution to the complicated one.

    Panel ① shows one image x₀ at t = 0: a single point of the data distribution.
lesson-2-title = 2 · The diffusion process
lesson-2-body =
    Turning an image into noise is easy: keep adding a little Gaussian noise. After T steps nothing of the image is left and x_T ~ N(0, I). Because x₀ is a fixed value, it only sets the mean: x_t ~ N(√ᾱ_t · x₀, (1−ᾱ_t) I).

    Watch panel ① play t from 0 to T: the histogram on the right turns into the bell curve of N(0, 1).
lesson-3-title = 3 · How training data is made
lesson-3-body =
    No need to walk step by step: x_t = √ᾱ_t · x₀ + √(1−ᾱ_t) · ε in one go, with ε ~ N(0, I). A training example is (x_t, t) as input and ε as the answer: the network learns to predict the noise.

    The curves of ᾱ_t and β_t show how fast the image fades under the chosen schedule.
lesson-4-title = 4 · The inference loop
lesson-4-body =
    To generate, start from pure noise x_T and repeat: predict the noise ε̂ = ε_θ(x_t, t), compute the clean-image guess x̂₀, and step to x_(t−1). DDPM takes all T steps; DDIM jumps in a few.

    Panel ② plays the trajectory: x_t on the left, the model's x̂₀ on the right.
lesson-5-title = 5 · What the network is
lesson-5-body =
    ε_θ is a small U-Net: convolutions that shrink the image to see the whole of it and grow it back, with skip connections for detail, and the timestep t fed in as a sinusoidal embedding. Training minimises L_simple = ‖ε − ε_θ(x_t, t)‖².

    Training starts now: watch the loss fall in panel ④.
lesson-6-title = 6 · Maximum likelihood is a KL
lesson-6-body =
    We want the model's distribution P_θ to give the real images high probability: maximise ∏ᵢ P_θ(xᵢ). Taking logs and averaging, this is the same as minimising KL(P_data ‖ P_θ).

    For diffusion models −log P_θ(x) is bounded from above: −log P_θ(x) ≤ L = −ELBO = L_T + Σ L_(t−1) + L_0 (the log-likelihood is at least the ELBO), shown in bits per dimension in panel ④.
lesson-7-title = 7 · The marginal integral
lesson-7-body =
    P_θ(x) cannot be read off the network directly. The note writes it as an integral over the noise: P_θ(x) = ∫ P(z) · P_θ(x | z) dz with z ~ N(0, I). P(z) is the easy part, a standard Gaussian. G is the generator: here the deterministic DDIM chain (η = 0) that carries z = x_T to an image G(z). Everything hinges on P_θ(x | z): how likely the network, given z, is to produce x.

    Panel ③ shows a prior draw z, its G(z) and x side by side, and estimates P(x) ≈ (1/N) Σᵢ P_θ(x | zᵢ) over N draws of z.
lesson-8-title = 8 · The indicator likelihood
lesson-8-body =
    The intuitive definition: P_θ(x | z) = 1 if G(z) = x, otherwise 0. But G's output almost never equals x exactly, in every one of hundreds of values at once. For a continuous G the z with G(z) = x form a set of probability zero, so P_θ(x) = 0 for almost every x, and there is no gradient to learn from. (A G clipped at ±1 is the exception: it gives saturated images, all black or all white, positive mass.)

    Panel ③ counts how many of the N draws hit x: in the collapse plot the hit rate drops to zero (drawn as ▼ at the bottom edge, log P = −∞) as the number of values d grows.
lesson-9-title = 9 · The Gaussian (VAE) view
lesson-9-body =
    The fix: let P_θ(x | z) = N(x; G(z), σ²I). Now every x has some density, larger the closer G(z) is to x, and log P_θ(x | z) = −‖x − G(z)‖²/(2σ²) + const is a smooth loss. In the collapse plot the Gaussian curve stays finite for every d.

    As training goes on, the mean G(z) walks toward x: the bell in panel ③ slides toward the x line, and ‖G(z) − x‖ falls. This is the view behind VAEs and the diffusion model's Gaussian steps.

lesson-10-title = 10 · The whole distribution, in one dimension
lesson-10-body =
    Images show one sample at a time; with one value per sample the whole distribution fits on screen. Panel ⑤ now trains a small network on a mixture of Gaussians, live.

    Left: the forward marginal q(x_t), exact for a mixture, melting into N(0, 1), and particles walking back. Right: the generator G(z), and P_θ(x) = ∫ N(z) N(x; G(z), σ²) dz computed exactly, piece by piece of G. The line x meets G only at isolated z*, so the indicator likelihood is 0; with σ → 0 the Gaussian one tends to Σ over the crossings z* of N(z*)/|G′(z*)|.
lesson-11-title = 11 · Two dimensions
lesson-11-body =
    In two dimensions the particles flow from N(0, I) onto the two moons along the learned −ε̂. The sliced Wasserstein distance between samples and data falls toward the floor that two independent draws of the data reach; choose "my image" to learn the dark pixels of your own picture.
lesson-12-title = 12 · The exact likelihood: the probability-flow ODE
lesson-12-body =
    The note's question has a full answer. Run the reverse process without noise and it becomes an ordinary differential equation, dx/dt = −½β(t)[x − ε̂(x, t)/σ_t], whose marginals are the same as the diffusion's. Its map G from x_T to x is invertible and keeps the dimension, so nothing collapses: P(x) = N(G⁻¹(x)) · |det ∂G⁻¹/∂x|, and log p(x) = log N(x_T; 0, I) + ∫ div f dt, a finite density with no σ at all.

    Panel ④ now scores the evaluation images this way (Hutchinson's trace, one dequantisation draw per image) and shows the result beside −ELBO of the same network at the same step: the gap is the bound's slack. In ⑤, "Compute the ODE's density" draws the same density over the whole 1-D or 2-D world.
lesson-13-title = 13 · Guidance: trading diversity for precision
lesson-13-body =
    Real diffusion tools are steered by a guidance scale. Panel ⑤ now trains one network on three overlapping labelled classes, and one time in ten it hides the class (the null class ∅), so the same network predicts both ε(x, c) and ε(x, ∅). Sampling then uses ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)): w = 1 is plain conditional sampling, w = 0 ignores the class.

    Move w up: each class's particles leave the region the classes share and gather where p(class | x) is near 1. "Sweep w" measures it with the data's exact p(class | x): precision rises toward 1 while the samples stop covering their class.

    Panel ② does the same on images: the bundled model is class-conditional (circle, square, triangle). Pick a class, move w, and press "Sweep w" to see one x_T at w = 0, 1, 2, 4 and 8. "Measure accuracy and diversity against w" lets a separately trained classifier judge the samples: accuracy rises, diversity falls, and at large w the samples grow brighter and move away from the training images.
lesson-14-title = 14 · The same model, different samplers
lesson-14-body =
    A trained network only predicts; the sampler decides how to walk from noise to the data, and how many network calls (NFE) the walk costs. Panel ⑤ now trains two runs on the moons side by side: A predicts ε as in DDPM, B is flow matching. Every sampler reads either network through one conversion to x̂₀ and ε̂ at the same noise level.

    Press "Measure samplers": DDPM (ancestral, fresh noise at every step), DDIM (deterministic), Euler, Heun (two calls a step, second order) and DPM-Solver++(2M) (one call a step, second order from the previous step) all start from the same 1000 points, at 1, 2, 4 … 64 calls. The log–log plot shows how fast each one reaches the floor, the distance between two draws of the data: second-order solvers get there with far fewer calls, which is why today's tools sample in 20–30 steps instead of 1000. On the diffusion model's grid Heun with very few steps overshoots, where one step divides the noise level a hundredfold.
lesson-15-title = 15 · Diffusion vs flow matching
lesson-15-body =
    Flow matching (Stable Diffusion 3, Flux) draws the straight line x_t = (1 − t)x₀ + tε between a data point and its noise and teaches the network the velocity ε − x₀. The learned paths still bend, because many lines cross and the network can only learn their average. The straightness S = E∫‖v‖dt / E‖x₁ − x₀‖ − 1 measures how much (0 for straight lines), and one Euler step from noise shows what the bend costs.

    Tick "optimal-transport pairs" on B: each batch's data is paired with its noise by the cheapest assignment, the lines cross less, S falls toward 0 and a single step lands near the data. Or press "Reflow": the model retrains on its own (noise, sample) pairs, which never cross; measure before and after. One caution the plot shows: after OT pairing or a reflow the velocity is no longer the data's score, so DDPM's noisy sampler, which needs the score, goes wrong while the ODE samplers do not.
## Worker notices
worker-open-failed = could not open { $path }: { $error }; starting fresh
worker-data-note = : { $summary }
worker-training-on = training on { $source }{ $note }
worker-no-images = no images to train on; kept the current data
worker-training-on-dropped = training on { $n ->
        [one] 1 dropped image
       *[other] { $n } dropped images
    }
worker-save-failed = could not save: { $error }
worker-kept-model = kept the current model: { $error }
worker-fallback-reason = { $was } failed ({ $reason }); fell back to the CPU
worker-weights-lost = the weights on the device are lost
worker-fallback-moved = continuing on the CPU from step { $step }
worker-fallback-autosave = its weights were lost; resumed the autosave of step { $step } on the CPU
worker-fallback-fresh = its weights were lost; restarted from the seed on the CPU
worker-fallback-failed = { $was } stopped working ({ $reason }) and the CPU fallback failed: { $error }
worker-device-same = already on { $device } ({ $reason })
worker-device-switched = moved from { $was } to { $device } at step { $step }: weights, optimizer state and step carried over ({ $reason })
worker-device-switch-failed = could not move to { $device } ({ $error }); still on { $was }
worker-fallback = { $was } stopped working ({ $reason }); { $how }.
worker-autosave-failed = autosave failed, turned off: { $error }
worker-training-paused = training paused: { $error }
worker-elbo-not-finite = the ELBO estimate was not finite; not plotted
worker-elbo-failed = ELBO estimate failed: { $error }
worker-ode-failed = the ODE likelihood could not be estimated: { $error }
worker-ode-model-changed = the ODE likelihood estimate stopped: the model changed

## Errors: images and datasets
image-err-io = cannot read { $path }: { $error }
image-err-not-a-file = { $path } is not a file
image-err-empty = the file is empty (0 bytes)
image-err-file-too-large = the file is { $bytes } bytes; the largest accepted is { $max } bytes
image-err-unknown-format = not an image this app can read (PNG, JPEG, GIF, BMP, WebP, TIFF, ICO, PNM, TGA)
image-err-too-large = the image is { $width }×{ $height }; the largest accepted side is { $max } pixels
image-err-no-pixels = the image has no pixels ({ $width }×{ $height })
image-err-corrupt = the image is damaged or truncated: { $detail }
data-err-folder = cannot read folder { $path }: { $error }
data-err-no-images = no usable images in { $path } ({ $skipped ->
        [one] 1 file
       *[other] { $skipped } files
    } skipped{ $first })
data-err-first = ; first: { $path }: { $why }
data-summary = { $n ->
        [one] 1 image
       *[other] { $n } images
    }
data-summary-skipped = { $n ->
        [one] 1 image
       *[other] { $n } images
    }; { $skipped } skipped: { $files }
label-err-too-few = { $source } has { $n ->
        [one] 1 class
       *[other] { $n } classes
    } ({ $classes }); a class-conditional model needs at least 2: put each class's images in a sub-folder of its own (cats/, dogs/, …)
label-err-empty = the class { $class } of { $source } has no usable image: add images to its sub-folder, or remove the folder

## Errors: checkpoints and training
ckpt-err-missing = { $path } is not a checkpoint folder (no { $record })
ckpt-err-foreign = { $path } is not a diffusion-playground checkpoint
ckpt-err-corrupt = the checkpoint is damaged: { $detail }
ckpt-err-version = the checkpoint has format version { $found }; this build reads version { $supported }
ckpt-err-mismatch = the checkpoint's model does not match: { $detail }
ckpt-err-data = the checkpoint's dataset: { $error }
train-err-non-finite = the loss became { $loss } at step { $step }; rolled back to step { $rolled_back_to }. Try a lower learning rate.
train-err-device = the device failed: { $error }
train-err-cancelled = cancelled

## Devices
device-gpu = GPU · { $name } (wgpu)
device-cpu = CPU (flex)
device-reason-cpu-asked = the CPU was chosen (--device cpu or the device menu)
device-reason-found-gpu = found a GPU adapter ({ $name }, { $api })
device-reason-no-adapter = wgpu found no adapter
device-reason-software-only = wgpu found only software adapters ({ $names })
device-reason-flex-faster = { $seen }; the flex CPU backend is faster
device-reason-gpu-asked = the GPU was chosen (--device gpu or the device menu)
device-reason-spirv-software = { $name } is a software Vulkan adapter, and this build compiles SPIR-V kernels, which it cannot run (Mesa's lavapipe crashes on them); using the CPU
device-reason-gpu-software = the GPU was chosen, and wgpu's only adapter is { $name }, a software renderer on the CPU: it works, but slower than the flex CPU backend
device-reason-start-failed = the wgpu device failed to start ({ $error }); fell back to the CPU

## Command line (--help)
cli-help-template =
    {about-with-newline}
    {usage-heading} {usage}

    {all-args}{after-help}
cli-heading-options = Options
cli-heading-commands = Commands
cli-flag-help = Print help
cli-flag-version = Print version
cli-app-about = Learn diffusion models by training one live on your own machine.
cli-app-long =
    Learn diffusion models by training one live on your own machine.

    Run with no command to open the desktop app. The commands below script the same steps the app shows: inspect the forward (noising) process of an image, train a model, sample from it, and benchmark. Help follows the system locale; set DIFFUSION_PLAYGROUND_LANG=en or zh-CN to choose.
cli-app-device = For the app: auto (a real GPU if there is one, else the CPU), gpu, or cpu. Defaults to $DIFFUSION_PLAYGROUND_DEVICE, then auto.
cli-app-checkpoint = For the app: open this checkpoint instead of the bundled one.
cli-app-fresh = For the app: start from an untrained model instead of the bundled one.
cli-inspect-about = Show what the forward process q(x_t | x_0) does to an image at timestep t.
cli-inspect-long =
    Show what the forward process q(x_t | x_0) does to an image at timestep t.

    x_t = √ᾱ_t · x_0 + √(1−ᾱ_t) · ε with ε ~ N(0, I). As t grows, ᾱ_t falls from 1 toward 0, so the image fades and the noise takes over: by t = T, x_T is almost exactly N(0, I), which is what the reverse process starts from.
cli-inspect-image = The image x_0 (PNG, JPEG, GIF, BMP, WebP, TIFF, …). It is centre-cropped, resized to --size and scaled to [-1, 1].
cli-inspect-t = The timestep t, from 1 (barely noised) to T (pure noise).
cli-inspect-schedule = The β schedule: linear (Ho et al. 2020), cosine (Nichol & Dhariwal 2021) or sigmoid. Cosine destroys information more slowly at small t.
cli-inspect-timesteps = T, the number of diffusion steps (2 to 4000).
cli-inspect-size = Side of the square image the model sees, in pixels.
cli-inspect-seed = Seed of the noise ε used for --out.
cli-inspect-out = Write x_t here ([-1, 1] mapped to 0..255, clamped), in the format its extension names (.png, .jpg, …; PNG without one).
cli-inspect-json = Print one JSON object instead of a table.
cli-train-about = Train the noise predictor ε_θ(x_t, t) on a dataset and save a checkpoint.
cli-train-long =
    Train the noise predictor ε_θ(x_t, t) on a dataset and save a checkpoint.

    Each step draws a batch x_0, a timestep t uniformly from 1..T and noise ε, builds x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, and takes an Adam step on the L_simple loss ‖ε − ε_θ(x_t, t)‖². The loss starts near 1 (predicting nothing) and falls as the network learns what noise looks like on top of your data.
cli-train-data = Training data: builtin:shapes, builtin:digits, or a folder of images.
cli-train-steps = Number of optimisation steps to take (in addition to a resumed checkpoint's). Give --steps, --seconds or both.
cli-train-seconds = Stop after this many seconds of training (sampling time not counted), or at --steps, whichever comes first. Give --steps, --seconds or both.
cli-train-sample-at = At these seconds of training (comma-separated), write 16 DDIM-50 samples (EMA weights, seed 0) to OUT/sample-<seconds>s.png.
cli-train-batch = Images per step (default 32; with --resume, the checkpoint's).
cli-train-size = Side of the square images, in pixels, a multiple of 4 (default 32; with --resume, the checkpoint's, which it must match).
cli-train-device = auto: a real GPU if there is one, else the CPU; gpu: wgpu even on a software adapter; cpu: burn's flex backend. Defaults to $DIFFUSION_PLAYGROUND_DEVICE, then auto.
cli-train-out = Folder to write the checkpoint into (created if missing; refused if it holds another run's checkpoint, unless --force).
cli-train-force = Overwrite --out even if it holds another run's checkpoint.
cli-train-resume = Continue from this checkpoint (its model, schedule, optimizer state and step, and its batch, learning rate and seed unless given).
cli-train-metrics = Append step,loss,images_per_s rows to this CSV file (its folder is created).
cli-train-lr = Adam learning rate (default 2e-4; with --resume, the checkpoint's).
cli-train-seed = Seed of the initial weights and of every batch (default 0; with --resume, the checkpoint's).
cli-train-schedule = β schedule: linear, cosine or sigmoid (default linear; with --resume, the checkpoint's, which it must match).
cli-train-timesteps = T, the number of diffusion steps (default 1000; with --resume, the checkpoint's, which it must match).
cli-train-base-channels = Width of the U-Net's first level, later levels being multiples of it (default 48; with --resume, the checkpoint's, which it must match).
cli-train-save-every = Save a checkpoint every N steps as well as at the end (0: only at the end).
cli-train-conditional = Train a class-conditional model for classifier-free guidance, on the data's classes (shapes: circle, square, triangle; digits: 0–9; a folder: its sub-folders).
cli-train-p-uncond = With --conditional: the probability that an image's class is replaced by the null class ∅ (default 0.1; with --resume, the checkpoint's).
cli-train-objective = What the network predicts: eps (default), x0, v, or flow (flow matching: the velocity ε − x₀ on x_t = (1 − t)x₀ + tε). A resumed run keeps its checkpoint's.
cli-train-flow-time = With --objective flow: how t is drawn, uniform (default) or logit-normal.
cli-sample-about = Generate images from a checkpoint by running the reverse process from noise.
cli-sample-long =
    Generate images from a checkpoint by running the reverse process from noise.

    DDPM walks back through every t = T … 1, adding a little fresh noise at each step. DDIM takes --steps evenly spaced jumps instead and is deterministic at --eta 0.
cli-sample-checkpoint = A checkpoint folder written by `train` (or assets/pretrained).
cli-sample-n = Number of images.
cli-sample-sampler = ddpm (every step, stochastic), ddim (few steps, deterministic at eta 0), or the ODE samplers euler, heun and dpmpp2m (Karras σ grid, ρ = 7; a flow-matching model on its own line, uniform in t).
cli-sample-steps = Steps of ddim, euler, heun or dpmpp2m (a Heun step costs two network calls; the count is printed).
cli-sample-eta = DDIM η: 0 is deterministic, 1 adds DDPM-like noise.
cli-sample-seed = Seed of the start noise.
cli-sample-out = Write the grid of samples here, in the format its extension names (.png, .jpg, …; PNG without one).
cli-sample-trajectory = Also write the reverse trajectory as an animated GIF (x_t left, x̂_0 right); the name must end in .gif.
cli-sample-device = Device, as for train.
cli-sample-class = A class-conditional checkpoint: sample this class, by name or index.
cli-sample-guidance = With --class: the guidance scale w of ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)); 1 is plain conditional sampling, 0 unconditional, larger pushes toward the class (default 1).
cli-sample-nearest = Also print the samples' mean RMS distance to the nearest of N training images (fresh draws of a built-in dataset, seed 0x2EF, or a folder's first N), in 8-bit levels.
cli-bench-about = Measure training throughput, sampling latency, the app's frame times while it trains, start-up time and memory, against a PyTorch reference where one is installed.
cli-bench-long =
    Measure training throughput, sampling latency, the app's frame times while it trains, start-up time and memory, against a PyTorch reference where one is installed.

    Every figure is timed after a warm-up; per-step figures are medians. See BENCHMARKS.md.
cli-bench-device = auto, gpu or cpu, as for train.
cli-bench-json = Print one JSON object instead of a table.
cli-bench-repeats = Timed training steps and DDIM runs per figure, after the warm-up (training: at least 0.4 s of steps per repeat, so short steps are timed more often).
cli-bench-ddpm-steps = DDPM steps to time (1000 times a whole run; fewer are extrapolated to 1000 and marked so).
cli-bench-frames = Frames of the app to drive while it trains.
cli-bench-reference = The PyTorch reference script (default: benches/reference/unet_reference.py).
cli-bench-python = Python interpreter that runs the reference.
cli-soak-about = Train and sample continuously in the app (headless) for a while and report memory and backlog once a second: a long-run check (see RELIABILITY.md).
cli-soak-seconds = How long to run, in seconds.
cli-soak-min-steps = And at least this many training steps, however slow the machine (default 0).
cli-soak-min-samples = And at least this many sample sets, however slow the machine (default 0).
cli-soak-device = auto, gpu or cpu, as for train.
cli-soak-json = Print one JSON object instead of a summary.

## Settings: locks
settings-locked = locked by the teacher's preset

## Curves file
curves-err-header = not a curves file written by this app (the first line differs)

## Teacher mode
control-schedule = noise schedule and T
control-dataset = training data
control-lr = learning rate
control-seed = seed
control-batch = batch size
control-reset = reset and rewind
teacher-err-io = cannot read or write { $path }: { $error }
teacher-err-parse = { $path } is not a valid preset: { $error }
teacher-err-too-big = { $path } is too large for a preset (at most 64 KiB)
teacher-err-value = the preset's { $what } is out of range
teacher-err-not-a-run = { $path } is not a run exported by this app
menu-teacher = Teacher
menu-save-preset = Save preset…
menu-save-preset-tip = Save this view (data, schedule, T, seed, lr, panels, locks, language) as a TOML file to hand out.
menu-open-preset = Open preset…
menu-open-preset-tip = Apply a preset file: the same view for every student.
menu-rewind = Rewind to the same start
menu-rewind-tip = Restart training from the identical initial weights (the model's own seed), so the class can watch the same run again.
menu-presentation = Presentation layout
menu-presentation-tip = Larger fonts and no settings panel, for a projector.
menu-export-run = Export run…
menu-export-run-tip = Save a folder with the checkpoint, the curves (CSV), the trajectory (GIF), the view (preset) and a PNG of every panel.
menu-open-run = Open run…
menu-open-run-tip = Open an exported run folder: its model, curves and view.
menu-locks = Lock for students:
notice-preset-applied = applied the preset “{ $name }”
notice-preset-failed = the preset was not applied: { $error }
notice-rewound = rewound to the initial weights of seed { $seed }
notice-run-exported = exported the run to { $path }
notice-run-failed = could not open the run: { $error }
notice-curves-skipped = { $n ->
        [one] 1 row of the curves file could not be read and was skipped
       *[other] { $n } rows of the curves file could not be read and were skipped
    }
notice-curves-failed = the curves were not loaded: { $error }
notice-run-opened = opened the run in { $path }

## Locks
notice-locked = { $control } is locked by the teacher's preset

## inspect table
inspect-table =
    schedule               { $schedule } (T = { $timesteps })
    t                      { $t }
    β_t                    { $beta }   noise added at this step
    ᾱ_t                    { $alpha_bar }   share of the image's variance left
    SNR(t) = ᾱ/(1−ᾱ)       { $snr }   signal-to-noise ratio
    β̃_t                    { $posterior }   variance of q(x_(t−1) | x_t, x_0)
    mean x_0²              { $mean_sq }
    KL(q(x_T|x_0) ‖ N(0,I)) { $kl } bits/dim  (≈ 0: x_T is pure noise)

## The 1-D/2-D worlds
points-err-empty-image = the image has no pixels
points-err-no-dark = the image has no dark pixels to make points of (try the bright ones)
points-err-no-bright = the image has no bright pixels to make points of (try the dark ones)
points-err-no-components = the mixture has no component: add one (with a positive weight and width)
points-err-unknown = unknown toy data '{ $name }': expected moons, spiral, rings, grid, mixture or an image file
toy-table =
    { $data }: { $steps } steps in { $seconds } s ({ $rate } steps/s)
    sliced Wasserstein distance to the data: { $swd } (floor between two data draws { $floor }, from N(0, I) { $start })
toy-table-likelihood = { $points } held-out points, two models from one network: the probability-flow ODE's exact −log p { $ode } ± { $ode_se } nats/point ({ $nfe } network calls), the diffusion model's −ELBO (every t) { $elbo } ± { $elbo_se } nats/point
cli-toy-about = Train the 1-D/2-D world's small MLP from scratch and report how close its samples come to the data.
cli-toy-long =
    The same schedule, loss and DDIM sampler as the image model, on points instead of pixels: it trains in seconds on any CPU. The distance is the sliced Wasserstein distance between 2000 samples and 2000 data points, printed beside the floor (two independent data draws) and the start (N(0, I) against the data).
cli-toy-data = moons, spiral, rings, grid, mixture, or an image file (its dark pixels become the 2-D data; --pixels bright takes the bright ones, --pixels both both as two classes).
cli-toy-pixels = With an image file as --data: which pixels become points: dark, bright, or both (two classes, for --conditional).
cli-toy-steps = Training steps.
cli-toy-seed = Seed of the weights, batches and noise.
cli-toy-json = Print one JSON object instead of a table.
cli-toy-conditional = Train a class-conditional model (a labelled set: overlap, moons, spiral) for classifier-free guidance.
cli-toy-p-uncond = With --conditional: the probability that a class is replaced by the null class ∅.
cli-toy-guidance-sweep = With --conditional on overlap: guidance scales w to sample at, e.g. 0,1,2,3,5 (w = 1 is plain conditional, w = 0 unconditional).
cli-toy-samples-csv = With --guidance-sweep: write the training data and every w's samples to this CSV (source, class, w, x, y); with --nfe-sweep: every sampler's samples at every budget (source, sampler, nfe, x, y).
cli-toy-objective = What the network predicts: eps, x0, v, or flow (flow matching: the velocity ε − x₀ on x_t = (1 − t)x₀ + tε).
cli-toy-flow-time = With --objective flow: how t is drawn, uniform or logit-normal.
cli-toy-ot = With --objective flow: pair each batch's data with its noise by exact optimal transport.
cli-toy-reflow = With --objective flow: after --steps, retrain for --steps more on the model's own (noise, sample) pairs; the JSON's before_reflow has the first model's figures.
cli-toy-sampler = With --nfe-sweep: the samplers to compare, comma-separated: ddpm, ddim, euler, heun, dpmpp2m.
cli-toy-nfe-sweep = Network-call budgets to sample every --sampler at, from the same x_T, e.g. 1,2,4,8,16,32,64; the JSON's sweep gives each one's SWD to the data.
cli-toy-lr = Adam's learning rate.
cli-toy-batch = Points per training step.
world-data-mixture = 1-D: a Gaussian mixture (edit it)
world-data-pixels = 1-D: the pixel values of my image
world-data-moons = 2-D: two moons
world-data-spiral = 2-D: a spiral
world-data-rings = 2-D: three rings
world-data-grid = 2-D: a grid of Gaussians
world-data-image-dark = 2-D: the dark pixels of my image
world-data-image-bright = 2-D: the bright pixels of my image
world-data-image-classes = 2-D: my image's dark and bright pixels as two classes (guidance)
world-data-overlap = 2-D: three overlapping classes (guidance)
world-steps = » 500 steps
world-reset-tip = New weights from the seed in the settings, at step 0 (the same seed gives the same start).
world-rate = { $rate } steps/s
world-model-note = A 3×128 MLP ε-predictor with the same schedule code (linear, T = 100), loss and samplers as the image model; it trains on the CPU in seconds. Particles use DDPM through every t; G is the deterministic DDIM chain (η = 0, 25 steps); both clip x̂₀ to ±3 (the data lie within ±2), as the image model clips to [−1, 1].
world-remove = remove this component
world-add = + component
world-starting = starting the world…
world-frame = reverse step
world-paths = The exact forward marginal q(x_t) (closed form for a mixture) and the reverse paths of particles from x_T ~ N(0, 1)
world-key-marginal = q(x_t), brighter = denser
world-key-paths = reverse paths
world-key-particles = particles now
world-generator = The generator G: z = x_T ↦ x (deterministic DDIM, η = 0)
world-key-g = G(z)
world-key-x = the value x
world-key-crossings = z* with G(z*) = x
world-indicator = The line x meets G at { $n ->
        [one] one isolated point z*
       *[other] { $n } isolated points z*
    }, a set of probability zero: the indicator likelihood gives ∫ N(z; 0, 1) 1[G(z) = x] dz = { $value } (on the grid of z), for every x.
world-density = P_θ(x) = ∫ N(z; 0, 1) N(x; G(z), σ²) dz, exact for G piecewise linear between the plotted z, beside the data and the samples
world-sigma-tip = σ of p(x|z) = N(x; G(z), σ²). As σ → 0, P_θ tends to the push-forward density Σ N(z*)/|G′(z*)|.
world-key-data = data
world-key-hist = samples (histogram)
world-key-p-theta = P_θ(x) at σ
world-key-push = σ → 0: Σ N(z*)/|G′(z*)|
world-mass = ∫ P_θ(x) dx over the plotted range = { $mass } (1 up to the tails: a density, unlike the indicator's 0)
world-walk = The mean G(z₀) walks toward x as training goes on
world-walk-z0 = z₀ = Φ⁻¹(F_data(x)) = { $z0 } is the z a perfect G sends to x = { $x }; the bells are N(·; G(z₀), σ²) at every view of training (mixture data).
world-key-bell-now = now
world-flow = Particles flowing from N(0, I) to the data, and the learned −ε̂ at the shown t
world-key-field = −ε̂_θ(x, t): the way noise is removed
world-swd = Sample quality: sliced Wasserstein distance (SWD) of 2000 samples to 2000 data points
world-swd-now = SWD { $swd } = { $ratio } × the floor { $floor } (two independent data draws); N(0, I) starts at { $start }.
world-key-swd = SWD of the samples
world-key-floor = floor: data vs data
world-key-start = start: N(0, I) vs data
world-data-label = data
cli-bench-toy-only = Measure only the 1-D/2-D world (a minute or two instead of a quarter of an hour).
cli-bench-window = Open the real window (on the display there is: a desktop, or Xvfb) and measure scripted scenes in it: frames per second, whole-frame times, the UI thread's CPU and the trainer's speed in the window beside the same worker without one.
cli-bench-scene-seconds = With --window: measured seconds per scene, after a 3 s warm-up ("train on this image" runs at least 29 s when this is 10 or more, to read the samples at 30 s).
cli-bench-scenes = With --window: only these scenes (comma-separated): train-on-image, sampling, likelihood, world-1d, world-2d.
world-nll = On { $n } held-out samples, in nats per sample: −log P_θ(x) = { $at_sigma } exactly (G = DDIM plus σ = { $sigma }); { $push } as σ → 0 (the push-forward density of G); and the diffusion model's −ELBO (all { $t } KL terms, a Gaussian decoder) = { $elbo } ± { $se }, an upper bound on its own −log p_θ(x). These are different models from one network (P_θ adds σ to the DDIM map, p_θ is the stochastic chain): compare a bound with an exact likelihood of the same model with the ODE below.
world-guidance-title = Classifier-free guidance: ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅))
world-guidance-class = class of the field
world-guidance-class-n = class { $n }
world-guidance-w-tip = w = 1 is plain conditional sampling, w = 0 unconditional; above 1 the samples are pushed away from the other classes. The particles take every class in turn, each in its own colour, all at this w.
world-guidance-sweep = Sweep w
world-guidance-sweep-tip = Sample 200 points per class at w = 0, 0.5, 1, 2, 3, 5 and 8 from the same x_T, and score them with the data's exact p(class | x): precision is the share with p > 0.9, spread their mean distance to the class mean, diversity the mean distance between two of them (a few seconds; training waits meanwhile).
world-guidance-convention = The network was trained with its class replaced by ∅ one time in ten, so one network gives both ε(x, c) and ε(x, ∅); each step evaluates both in one batch.
world-guidance-precision = precision: share with p(class | x) > 0.9
world-guidance-spread = spread: mean distance to the class mean
world-guidance-diversity = diversity: mean distance between two samples of a class
world-ode-title = The exact likelihood of the same network: its probability-flow ODE
world-ode-button = Compute the ODE's density
world-ode-button-tip = The probability-flow ODE dx/dt = −½β(t)[x − ε̂(x, t)/σ_t] maps N(0, I) one-to-one onto a density of the data's own dimension: log p(x) = log N(x_T; 0, I) + ∫ div f dt, with the divergence exact here. Computed once for the current weights (a few seconds; training waits meanwhile).
world-ode-pending = solving the ODE…
world-key-ode = ODE p(x), exact
world-ode-held-out = On the same { $n } held-out points at step { $step }, nats per point: the ODE's −log p = { $ode } ± { $ode_se } (exact divergence, RK45, { $nfe } network calls); the same network's −ELBO = { $elbo } ± { $elbo_se }; −ELBO − ODE = { $gap } ± { $gap_se } (paired). Unlike G plus σ, the ODE's G is invertible and of the data's own dimension, so its P(x) is a finite density without any σ.
world-ode-heat-model = ODE density p(x), step { $step } (Heun, { $nfe } network calls per point)
world-ode-heat-data = data density (histogram of 20,000 draws)
world-ode-heat-scale = Both over [−{ $w }, { $w }]², on one colour scale: the square root of the density, from 0 (dark) to { $top } (bright, the data's densest cell).
world-play-tip = Play the reverse process from x_T to x₀ (ten frames a second)
world-click-tip = Click the plot to add a mixture component there; drag the μ, s and w values above to move, widen or weigh one.

## Panel ②: guidance (a class-conditional model)
guidance-title = Classifier-free guidance: ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅))
guidance-convention = This model is class-conditional: it was trained with its class replaced by the null class ∅ one time in ten, so one network gives both ε(x, c) and ε(x, ∅). w = 1 is plain conditional sampling, w = 0 unconditional; each guided step evaluates both in one batch.
guidance-class = class
guidance-every-class = every class in turn
guidance-w-tip = The guidance scale w. Above 1 each step is pushed away from what the unconditional model predicts, toward what makes the class unmistakable: samples become more typical of the class and less varied, and at large w saturated and off the data.
guidance-sweep = Sweep w
guidance-sweep-tip = Sample one image of the chosen class (the first class when every class is chosen) from the same x_T at w = 0, 1, 2, 4 and 8, with the sampler of the settings.
guidance-strip-caption = The same x_T, class { $class }, guided at each w (step { $step }):

## guidance (command line)
guidance-table-head =
    guidance sweep of { $sampled }: { $n } samples per class and w, { $sampler }, step { $step }
    judge: a classifier trained on the labelled data, { $acc } right on { $images } held-out images ({ $source })
    accuracy: share of samples the classifier puts in the class asked for; diversity: mean RMS distance between two samples of a class (unit space); nearest: RMS distance to the nearest of 512 training images (8-bit levels); saturated: share of values at 0 or 255
cli-guidance-about = What classifier-free guidance does to a class-conditional checkpoint's samples, at each w.
cli-guidance-long =
    A small classifier trains on the labelled data for a few seconds, and its held-out accuracy is reported. Then, for each w, samples of every class (the same x_T for every w) are scored: the share the classifier puts in their class, their diversity (mean pairwise RMS distance), their distance to the nearest training image and their share of saturated values.
    w is the scale of ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)): 1 is plain conditional sampling, 0 unconditional.
cli-guidance-checkpoint = A class-conditional checkpoint (train --conditional).
cli-guidance-class = The class to sample, by name or index, or all for every class.
cli-guidance-w = The guidance scales, comma-separated.
cli-guidance-n = Samples per class and scale.
cli-guidance-seed = Seed of the samples' x_T (the same for every w) and of the classifier.
cli-guidance-data = The labelled data the classifier learns from (default: the checkpoint's).
cli-guidance-classifier-steps = Steps of the classifier's training (batch 64).
cli-guidance-sampler = ddpm or ddim.
cli-guidance-steps = DDIM steps.
cli-guidance-device = Device, as for train.
cli-guidance-json = Print one JSON object.
guidance-measure = Measure accuracy and diversity against w
guidance-measure-tip = A small classifier first trains on the labelled data for a few seconds (the judge: it never sees a sample). Then { $n } images of every class are sampled at w = 0, 1, 2, 4 and 8 (the same x_T for every w) with the sampler of the settings, and scored. Training waits meanwhile; about a minute on two CPU cores.
guidance-measuring = training the judge, then sampling every class at every w
guidance-measure-failed = the guidance measurement failed: { $reason }
guidance-measured = Step { $step }: { $n } samples per class and w, { $classes } classes. The judge, a classifier trained on the labelled data, is right on { $acc } % of { $images } held-out images.
guidance-accuracy = accuracy: share the judge puts in the class asked for
guidance-diversity = diversity: mean distance between two samples of a class in the judge's features, 1 = two training images
guidance-measured-ends = w = { $w0 }: accuracy { $acc0 }, diversity { $div0 }, { $near0 } levels from the nearest training image · w = { $w1 }: accuracy { $acc1 }, diversity { $div1 }, { $near1 } levels: more of the class, less varied, further from the data.

## ⑤'s lab: two runs side by side
lab-toggle = Compare two runs (A | B)
lab-toggle-tip = Two runs on the same data from the same seed, each with its own objective, training at once: for example DDPM's ε against flow matching.
lab-note-short = Same data, same seed, same noise: only what the network predicts differs (hover for how the particles are drawn).
lab-note = Both runs draw the same data, the same weights at step 0 and the same batches' noise; only what the network predicts (and, for flow matching, how it pairs data with noise) differs. Particles: DDPM through every t of the linear schedule (T = 100) for ε, x₀ and v, via the conversion to ε̂; flow matching follows its ODE through the same t (DDIM at η = 0), since after OT pairing or a reflow its velocity is no longer a score.
lab-objective = predicts
lab-objective-tip = ε (DDPM), x₀, v = a·ε − s·x₀, or flow matching's velocity ε − x₀ on x_t = (1 − t)x₀ + tε. Every sampler reads any of them through one conversion to x̂₀ and ε̂ at the same noise level.
lab-objective-eps = ε (DDPM)
lab-objective-x0 = x₀
lab-objective-v = v
lab-objective-flow = flow matching
lab-flow-time = t drawn
lab-ot = optimal-transport pairs
lab-ot-tip = Pair each batch's data with its noise by the exact optimal transport plan (least total squared distance): straighter paths, so fewer steps. Exact pairing costs O(n³) for a batch of n = 256: training runs several times slower.
lab-loss = loss { $loss }
lab-loss-tip = Mean squared error of the run's own target: not comparable between objectives.
lab-swd = SWD { $swd } = { $ratio } × the floor { $floor }
lab-measure = Measure samplers
lab-measure-tip = Every sampler at NFE 1, 2, 4, 8, 16, 32, 64 network calls from the same 1000 starting points, scored by SWD to the data; and the straightness of 500 learned paths. Training waits a few seconds.
lab-reflow = Reflow
lab-reflow-tip = Retrain from now on on the model's own (noise, sample) pairs (20000 pairs, Heun 32 steps): the paths straighten, so one step comes close.
lab-before-reflow = Before the reflow: straightness { $s }, one Euler step SWD { $swd }.
lab-straightness = Step { $step }: straightness S = { $s } (0 = straight lines), one Euler step SWD { $swd }.
lab-straightness-tip = S = E∫‖v‖dt / E‖x₁ − x₀‖ − 1 over 500 paths from noise to sample, 32 Euler steps on the flow line (the same points as DDIM for every objective).
lab-axis-nfe = network calls (NFE, log scale)
lab-axis-swd = SWD to the data (log scale)

## Panel ②: the budget strip
strip-title = Samplers at a budget of network calls
strip-tip = The same x_T at NFE 2, 4, 8, 16 and 32 network calls by one ODE sampler (with the weights the settings choose, EMA or raw): Euler (first order), Heun (two calls a step) or DPM-Solver++(2M) (one call a step, second order from the previous one), on the Karras σ grid (ρ = 7) or, for a flow-matching model, on its own line. A conditional model is guided by the class and w above.
strip-sampler = sampler
strip-button = Strip: NFE 2 … 32
strip-caption = { $sampler }, same x_T, step { $step }:
settings-objective-tip = What the network learns to predict: eps (DDPM's noise), x0 (the clean image), v = a·ε − s·x₀, or flow (flow matching's velocity ε − x₀ on x_t = (1 − t)x₀ + tε). Every sampler reads each through one conversion. Applying it builds a new model.
settings-model-predicts = The model predicts { $objective }.
ode-needs-eps = the exact likelihood of images is computed for models that predict eps; this one predicts { $objective } (the 1-D/2-D worlds convert any objective)
lab-exact-key = Dashed: the same samplers with the mixture's exact denoiser E[x₀ | x_t] in place of the network, from the same points: what a perfect model would reach.
lab-score-error = Relative score error E‖s_θ − ∇log p_t‖² / E‖∇log p_t‖²: { $first }, { $middle }, { $last }.
lab-score-error-tip = The network's score, read from its ε̂ through the conversion, against the mixture's closed-form score, over 1000 draws of x_t at each t (11 timesteps of 1 … T). After OT pairing or a reflow a flow model's ε̂ is no longer a score, and this error shows it.
