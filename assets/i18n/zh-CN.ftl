# 简体中文消息。键与 en.ftl 一一对应（由 tests/i18n.rs 检查），{ $占位符 } 也必须相同。
# 语法：Project Fluent（键 = 文本；缩进的行接续上一条；{ $name } 为占位符；中文没有复数形式）。

## Tabs
tab-forward = ① 前向加噪
tab-reverse = ② 反向去噪
tab-likelihood = ③ 似然 p(x|z)
tab-curves = ④ 损失与 ELBO
tab-world = ⑤ 一维 / 二维世界

## Settings panel
settings-heading = 设置
settings-schedule = 噪声调度
settings-schedule-tip = 噪声加得多快。linear：T = 1000 时 β 从 1e-4 线性增长到 0.02（Ho 等，2020）；其他 T 时两端都乘以 1000/T。cosine：ᾱ 沿余弦曲线下降，小 t 时保留更多图像信息（Nichol 与 Dhariwal，2021）。sigmoid：ᾱ 沿 S 形曲线下降。
settings-t-tip = T，加噪的总步数。步数越多，每一步越小；DDPM 采样要走满 T 步。
settings-batch = 批大小
settings-batch-tip = 每个训练步使用的图像数。批越大，损失曲线越平滑，但每步越慢。
settings-apply = 应用到模型（重新开始训练）
settings-apply-tip = 模型是针对一种调度训练的；换调度就意味着从头训练一个新模型。
settings-model-uses = 模型使用 { $schedule } 调度，T = { $t }。
settings-training = 训练
settings-lr-tip = Adam 的学习率（默认 2e-4）。太大时损失会爆炸：程序会捕获 NaN，回滚并暂停。
settings-autosave-prefix = 每{" "}
settings-autosave-suffix = {" "}步自动保存
settings-autosave-tip = 每隔这么多步在后台保存一次训练（0 表示关闭），崩溃或重启后可以继续。
settings-seed-prefix = 随机种子{" "}
settings-seed-tip = 重置权重和采样噪声所用的种子：相同的种子给出相同的图像。
settings-sampling = 采样
settings-ddpm-tip = 祖先采样：走满 T 步，每一步都加入新的噪声（Ho 等，2020）。
settings-ddim-tip = DDIM：沿相同的边缘分布做少数几次确定性的大跳跃（Song 等，2021）。
settings-steps = 步数
settings-steps-tip = DDIM 从 T 到 0 之间走多少步去噪。
settings-eta-tip = DDIM 的 η：0 为确定性采样，1 加入与 DDPM 一样多的噪声。
settings-samples = 样本数
settings-samples-tip = 一次生成多少张图像。
settings-auto-resample = 训练时重新绘制样本
settings-auto-resample-tip = 训练时用同一份噪声重新采样，可以看着同一个样本逐渐变好。
settings-resample-every = 每隔
settings-resample-every-tip = 训练时每隔这么多秒重新绘制一批样本（每次用同一份噪声，可以看着同一个样本变化）。
settings-weights = 权重
settings-weights-ema = EMA
settings-weights-raw = 未平均
settings-weights-tip = 用哪些权重采样：EMA 平均 θ_ema（平滑；数据改变时从当前权重重新开始）或最后一步未平均的权重 θ（立即跟上数据，但有噪声）。
settings-training-fps = 最多重绘
settings-training-fps-tip = 模型训练或采样时，窗口每秒最多重绘这么多次（有 GPU 时默认每秒 30 次）。输入总是立即重绘。
settings-training-fps-software-tip = 这个窗口由 CPU 绘制（没有 GPU）：每一帧都会占用训练的时间，所以模型训练或采样时，窗口每秒最多重绘这么多次（默认每秒 1 次）。输入总是立即重绘。
settings-training-fps-default = 默认
weights-ema = EMA 权重
weights-raw = 未平均的权重

## Notices and the top bar
notice-thread-start-failed = 无法启动训练线程：{ $error }
notice-thread-not-running = 训练线程没有在运行
notice-model-loading = 模型仍在加载
notice-showing = 正在显示 { $name }
dialog-images = 图像
notice-dialog-failed = 无法打开文件对话框：{ $error }
notice-skipped = 已跳过 { $files }
notice-decode-start-failed = 无法开始解码：{ $error }
notice-sampling-failed = 采样失败：{ $reason }
notice-saved-checkpoint = 已保存检查点 { $path }
notice-opened-checkpoint = 已打开检查点 { $path }（第 { $step } 步）
notice-thread-stopped = 训练线程已停止：{ $error }
notice-image-failed = 无法打开该图像：{ $error }。当前图像保持不变。
notice-saved = 已保存 { $path }
notice-save-failed = 无法保存 { $path }：{ $error }
notice-kept-data = 保留当前训练数据：{ $error }
notice-nothing-to-export = 还没有可导出的内容：请先采样
notice-writing-gif = 正在写入 GIF…
notice-dismiss = 关闭
dropped-file = 拖入的文件
drop-overlay =
    松开以载入图像
    （多张图像：用它们来训练）
app-title = 扩散模型游乐场
top-data = 数据：{ $data }
top-data-builtin = 内置：{ $name }
top-data-folder = 一个图像文件夹…
top-data-current = 只用当前图像
top-data-tip = 模型用什么数据训练。把多张图像拖到窗口上即可用它们训练。
top-device = 设备：{ $device }
top-device-switching = 设备：正在切换…
top-frame-times = 本窗口：最近 120 帧中 99% 用时 ≤ { $ms } 毫秒
top-loading = 正在选择设备并加载模型…
top-pause = ❚❚ 暂停
top-pause-tip = 暂停训练；模型保持不变。
top-train = ▶ 训练
top-train-tip = 在后台训练模型；窗口保持流畅。
top-100-steps = » 100 步
top-100-steps-tip = 正好训练 100 步后暂停：便于一小段一小段地观察训练。
top-reset = ↺ 重置
top-reset-tip = 从新的随机权重重新开始（种子取自设置）。
top-step = 第 { $step } 步
top-loss = 损失 { $loss }
top-rate = { $rate } 张/秒
menu-file = 文件
menu-open-image = 打开图像…
menu-save-checkpoint = 保存检查点…
menu-open-checkpoint = 打开检查点…
menu-export-png = 将当前视图导出为 PNG…
menu-export-csv = 将曲线导出为 CSV…
menu-about = 关于 diffusion-playground…
device-menu-run-on = 训练和采样使用：
device-choice-auto = 自动：有真正的 GPU 就用 GPU，否则用 CPU
device-choice-gpu = GPU（wgpu）
device-choice-cpu = CPU（flex）
device-menu-carry = 切换时保留权重、优化器状态和步数；如果正在训练，训练会继续。
about-title = 关于
about-version = diffusion-playground { $version }
about-what = 在自己的电脑上实时训练一个扩散模型（DDPM/DDIM），边看边学。
about-device = 设备
about-driver = 图形接口和驱动
about-why = 为什么用这个设备
about-gpu-cache = GPU 调优缓存
about-autosave = 自动保存的训练
about-none = （本系统上没有）
about-gpu-cache-tip = GPU 在这里记住每一层用哪个内核最快，以后启动就不必重新调优。删除这个文件夹是安全的。
top-lesson = 课程
top-settings = ⚙ 设置
top-settings-tip = 窗口太窄，无法把设置停靠在面板旁边：在这里打开。
top-language-tip = 整个程序的界面语言（会被记住）。
top-more-tip = 更多：这一行放不下的内容。
resume-found = 在 { $dir } 找到一次自动保存的训练（第 { $step } 步）。
resume-button = 继续上次的训练（第 { $step } 步）
resume-fresh = 重新开始
data-starting = 启动中…
data-dropped = { $n } 张拖入的图像
data-one-image = 1 张图像：{ $name }
data-folder = { $path }（{ $summary }）

## Forward panel
forward-open-tip = 选择一个图像文件（或直接把它拖到窗口上）。
forward-examples = 示例
forward-train-on-image = 用这张图像训练
forward-train-on-image-tip = 让这张图像成为全部训练数据，并立即开始训练：模型将学会复现它，面板 ③ 会显示 G(z) 走向它。
forward-x-t-tip = x_t = √ᾱ_t · x₀ + √(1−ᾱ_t) · ε，ε 为固定的一次抽样
forward-play-tip = 从这里把 t 播放到 T
forward-t-tip = 时间步：0 是干净的图像，T（几乎）是纯噪声。
forward-mix = x_t = { $a } · x₀ + { $b } · ε      （信号占比 { $share } %）
forward-denoise = 把我的图像加噪到 t，再去噪 →
forward-denoise-tip = 从这个 x_t 开始运行反向过程，看看模型能恢复出什么。
forward-strip = 等间隔 t 处的 x_t（点击可跳转）：
forward-plot-alpha-bar = ᾱ_t（保留的信号）与 1 − ᾱ_t（噪声）
forward-plot-beta = β_t（每一步加入的噪声）
forward-plot-histogram = x_t 的像素值分布与 N(0, 1) 密度对比
forward-histogram-bars = x_t 的取值
forward-axis-density = 密度
forward-axis-share = 占比
forward-axis-value = x_t 的取值
forward-key-t = 当前的 t
forward-key-noise = 1 − ᾱ_t（噪声）
forward-key-alpha-bar = ᾱ_t（保留的信号）
example-sunset = 日落
example-checkerboard = 棋盘格
example-shape = 形状
example-digit = 数字
example-rings = 圆环

## Reverse panel
reverse-sampling = 采样中…
reverse-latest = 最新样本（第 { $step } 步，{ $weights }）
reverse-thumb-tip = 当前模型（设置中选择的权重）生成的样本。点击打开面板 ②。
reverse-sample = ⚄ 从噪声采样
reverse-sample-tip = 用设置中的种子从 x_T ~ N(0, I) 出发，用设置中选择的权重（默认 EMA）去噪到 x₀。
reverse-from-image = 把我的图像加噪到 t，再去噪
reverse-from-image-tip = 取面板 ① 的图像，加噪到那里选定的 t，再从这个 x_t 运行反向过程。
reverse-cancel = 取消
reverse-export-gif = 导出 GIF…
reverse-export-gif-tip = 把这条轨迹保存为 GIF 动画
reverse-none-yet = 还没有样本：请点击“从噪声采样”。
reverse-origin-noise = 从噪声出发
reverse-origin-image = 从加噪到 t = { $t } 的你的图像出发
reverse-caption = { $n } 个样本，{ $origin }，第 { $step } 步的{ $weights }；帧 { $frame }/{ $frames }：t = { $t }
reverse-frame = 帧
reverse-frame-tip = 拖动浏览反向过程：最左是 x_T（噪声），最右是 x₀。
reverse-x0-hat = x̂₀ = (x_t − √(1−ᾱ_t) ε̂) / √ᾱ_t   （模型对干净图像的猜测）
reverse-final = 最终样本 x₀
reverse-nearest = 每个样本最近的训练图像（平均 RMS 距离 { $d }，满分 255）
reverse-nearest-tip = 距离接近 0 说明模型背下了某张训练图像，而不是生成了新图像：在很小的数据集上要留意这一点。

## Likelihood panel
likelihood-ask = 现在向模型询问 G(z)
likelihood-ask-tip = 用当前的 EMA 权重，对 N 个固定的先验样本 z 运行生成器 G。在此面板打开且训练进行时，每 100 步自动运行一次。
likelihood-g-def = G = DDIM，{ $steps } 步，η = 0（确定性），EMA 权重 · N = { $n } 个固定样本 z ~ N(0, I)
likelihood-indicator = 示性函数：若 G(z) = x 则 p(x|z) = 1，否则为 0
likelihood-gaussian = 高斯：p(x|z) = N(x; G(z), σ²I)
likelihood-toggle-tip = 在学习笔记中 p(x|z) 的两种定义之间切换。
likelihood-sigma-tip = p(x|z) = N(x; G(z), σ²I) 的标准差 σ：它在 G(z) 周围允许多大的偏差。
likelihood-z-title = z = 第 { $k } 个样本（共 { $n } 个；±2 显示为黑/白）
likelihood-g-title = 第 { $step } 步的 G(z)
likelihood-x = x（点击一个像素来研究它）：
likelihood-pixel = 像素 ({ $u }, { $v })
likelihood-ask-first = 先向模型询问 G(z)，才能看到 P(x)。
likelihood-integral = P(x) = ∫ P(z) p(x|z) dz ≈ (1/N) Σᵢ p(x|zᵢ)，zᵢ ~ N(0, I)
likelihood-indicator-estimate = 在全部 { $d } 个取值上 G(zᵢ) = x（每处 8 位取值都相同）的样本有 { $hits } 个（共 { $n } 个）→ P(x) ≈ { $hits }/{ $n }。
likelihood-indicator-zero = 没有一个样本恰好命中 x。对连续的 G，满足 G(z) = x 的 z 的集合概率为 0，所以对几乎每个 x，无论 N 多大，P(x) 都为 0：示性函数定义的似然让几乎每张真实图像的概率都为零，也没有梯度。（例外：把 G(z) 截断到 ±1 时，取值为 ±1（纯黑或全白）的图像会得到正的概率。）
likelihood-gaussian-estimate = 整张图像（{ $d } 个取值）落在 x 的 8 位区间里的 log P(x) ≈ { $log_p } ± { $se } 奈特 = { $bpd } 比特/维（−log₂ P(x)/d，与负 ELBO 同一单位），基于 N = { $n } 个样本（有效样本 { $eff } 个），σ = { $sigma }。这里的 P_θ 是 G 加上 σ：与面板 ④ 的扩散模型 p_θ 不是同一个模型。
likelihood-dominated = 有效样本少于 2 个：这个和由第 { $k } 个样本主导（它的 G(z) 离 x 最近，见上图）。± 只能作参考，而且蒙特卡洛均值的对数平均来说偏低（詹森不等式）。
likelihood-ode-escape = 走出塌缩的第三条路：概率流 ODE（面板 ④，「精确似然（ODE）」）让 G 一一对应、与图像同维，所以 P(x) = N(G⁻¹(x)) · |det ∂G⁻¹/∂x| 是一个有限的密度，不需要任何 σ。
likelihood-best-draw = 权重最大的是第 { $k } 个样本：它的 G(z) 离 x 最近（见上图）。
likelihood-bell = 第 { $k } 个样本在所研究取值处的钟形曲线 N(·; G(z), σ²)，第 { $step } 步：G(z) = { $g }，x = { $x }。灰色：其他步。
likelihood-step-scrub = 训练步数
likelihood-axis-value = 取值（单位空间，−1 … 1）
likelihood-axis-density = 密度
likelihood-spike = p(·|z)：全部概率集中在 G(z)
likelihood-bell-now = N(·; G(z), σ²)
likelihood-x-line = x
likelihood-collapse = 前 d 个取值上 y 落在 x 的 8 位取值内的概率，随 d 增长到整张图像：
likelihood-axis-d = 取值个数 d（对数刻度）
likelihood-axis-log-p = log₁₀ P
likelihood-collapse-gaussian = 高斯：(1/N) Σᵢ P(y 落在 x 的区间 | zᵢ)，±1 处的区间是开的
likelihood-collapse-indicator = 示性函数：命中数/N
likelihood-zero-hits = 示性函数：0 次命中，P = 0（log = −∞）
likelihood-one-over-n = 1/N = 1/{ $n }：非零命中率的最小值
likelihood-collapse-note = 底边的 ▼：{ $n } 次中零次命中，log P = −∞。高斯曲线在对数空间中精确计算（用对数 CDF），再小也不会被截断。
likelihood-walk = G(z) 走向 x：训练过程中的均方根距离 ‖G(z) − x‖（单位空间），每一步用同样的 z
likelihood-follow-best = 跟踪最能解释 x 的 z
likelihood-follow-best-tip = 关闭后可以选择跟踪 N 个样本中的哪一个。
likelihood-walk-empty = 在此面板打开时训练（或训练后再询问一次），就能看到 G(z) 的移动。
likelihood-axis-step = 训练步数
likelihood-axis-rms = 均方根
likelihood-walk-followed = 第 { $k } 个样本
likelihood-walk-nearest = N 个样本中最近的
likelihood-key-other-steps = 其他训练步
likelihood-table =
    log P(x 的 8 位区间) ≈ { $log_p } ± { $se } 奈特（{ $dims } 个取值）= { $bpd } 比特/维，σ = { $sigma }，有效样本 { $eff } 个
    连续密度（不是概率，不能与比特/维相比）：log p(x) ≈ { $density } 奈特
    示性函数：{ $draws } 个样本中 G(z) = x 的有 { $hits } 个
likelihood-table-few-draws = 注意：有效样本少于 2 个，log P(x) 偏低，± 只能作参考。

## Curves panel
curves-smoothing = 平滑
curves-export = 导出 CSV…
curves-export-tip = 把所有曲线保存为 CSV 文件（每次估计的逐 t 项另存在旁边）
curves-elbo-now = 立即估计（K = { $k } 层）
curves-elbo-now-tip = 开头的 t = 2 … 1+⌈T/100⌉ 每一项精确计算（和的大部分在这里），其余的 t 分为 K 层，每张图像在每层随机取一个 t，并按层的大小加权：这是 Σ L_(t−1) 的无偏估计，它的误差范围能包含真值。
curves-elbo-exact = 精确计算（全部 { $n } 个 t）
curves-elbo-exact-tip = 对 t = 2 … T 的每一项求和。需要对该批次做 T−1 次网络计算（期间训练和采样会等待）。
curves-elbo-pending = 正在估计负 ELBO…
curves-last-elbo = 第 { $step } 步的负 ELBO（负对数似然上界）：{ $total } 比特/维 = L_T { $prior } + ΣL_(t−1) { $diffusion } + L_0 { $decoder }
curves-elbo-how-strata = Σ L_(t−1)：t = 2 … { $head } 每一项精确计算，其余的 t 分为 K = { $k } 层，每层每张图像一个随机 t 和一次噪声抽样；{ $images } 张图像；± 为图像间的一个标准误差
curves-elbo-how-all = Σ L_(t−1) 对全部 { $n } 个 t 求和，每个 t 每张图像一次噪声抽样；{ $images } 张图像；± 为图像间的一个标准误差
curves-elbo-how-file = 读自曲线文件
curves-elbo-how-unknown = 读自以前版本的曲线文件，文件没有记录 Σ L_(t−1) 是如何估计的（全部 t，或不含精确开头的 K 层）
curves-elbo-how-midpoint = 读自过去版本的曲线文件：Σ L_(t−1) 用过去的中点法则（20 个固定的 t）计算，这是有偏的估计，没有误差范围
curves-vlb-ode = ODE（精确）
ode-button = 精确似然（ODE）
ode-button-tip = 同一个网络的概率流 ODE，dx/dt = −½β(t)[x − ε̂(x, t)/σ_t]，是与图像同维、一一对应的映射，所以 log p(x) = log N(x_T; 0, I) + ∫ div f dt 是精确的，而不是一个界。Heun 方法，100 步（每张图像 200 次网络调用），迹用 Hutchinson 估计（1 个向量），每张图像在它的 8 位区间内反量化一次；同一步也估计负 ELBO。在训练步之间一次计算一张图像。
ode-progress = ODE 似然：已计算 { $done }/{ $total } 张图像（第 { $step } 步的权重）…
ode-result = 第 { $step } 步的概率流 ODE：{ $bits } ± { $se } 比特/维，同一个网络的精确似然（{ $images } 张评估图像，{ $method }，每张图像 { $nfe } 次网络调用，Hutchinson 向量 { $probes } 个）
ode-gap = 同一步、同一批图像的负 ELBO：{ $elbo } ± { $elbo_se } 比特/维。上界的差距，负 ELBO − ODE：{ $gap } ± { $gap_se } 比特/维（按图像配对）。
ode-gap-none = 在第 { $step } 步估计负 ELBO 才能看到差距。
ode-two-models = 同一个网络，两个模型：负 ELBO 是扩散模型 −log p 的上界；ODE 把同一个 ε̂ 变成一个一一对应的 G，它的似然是精确的。两者都以 8 位区间的比特/维为单位。
curves-batch-unknown = 未记录批次
curves-no-data = 还没有数据：请按「训练」。
curves-loss = L_simple = 对所有取值求平均的 (ε − ε_θ(x_t, t))²，每一步（以及评估批次上的值）
curves-loss-train = L_simple（训练）
curves-loss-held-out = L_simple（评估批次，EMA）
curves-throughput = 张/秒
curves-axis-step = 训练步数
curves-axis-l-simple = L_simple（每个取值）
curves-axis-images-per-s = 张/秒
curves-axis-bpd = 比特/维
curves-axis-bpd-log = 比特/维（对数刻度）
curves-key-stderr = ± 一个标准误差
curves-axis-t-log = t（对数刻度）
curves-vlb = 负 ELBO（−log₂ p(x) 的上界，比特/维）及其各项
curves-vlb-total = 负 ELBO（总和）
curves-vlb-prior = L_T（先验）
curves-vlb-decoder = L_0（解码器）
curves-per-t = L_(t−1) 随 t 的变化，从 t = 1 开始（t = 1 为 L_0），比特/维，第一次与最近一次估计
curves-l0-floor = L_0 有下限：解码器的 σ₁ = √β̃₂（β̃₁ = 0 被截断为 β̃₂）为 { $sigma }，大约是一个 8 位取值（2/255 ≈ 0.0078）的宽度，所以即使 x̂₀ 完全正确，N(x̂₀, σ₁²) 也只有一部分落在 x₀ 的区间内：对取值范围两端以外的每个取值，L_0 ≥ { $floor } 比特/维。

## Evaluation: the ELBO batch, `elbo` and `likelihood`
eval-batch-fresh = 评估批次：内置数据集的 8 个新样本（训练时从未用过这些样本）
eval-batch-held-out = 评估批次：{ $n } 张留出图像（每十张留出一张，从不参与训练）
eval-batch-training = 评估批次：训练图像本身（少于 10 张，没有留出）
split-err-no-heldout = 文件夹只有 { $images } 张图像，少于 { $from } 张，因此没有留出的图像：请用 --split train 或 --split all
worker-training-on-one-image = 正在用这一张图像训练
worker-training-on-this-image = 只用这一张图像训练，批大小 { $batch }，学习率 { $lr }（之前为 { $was_batch } 和 { $was_lr }），这样一分钟内就能在样本中看到它；EMA 已从当前权重重新开始
elbo-table =
    负 ELBO（负对数似然上界）：{ $total } ± { $se } 比特/维（第 { $step } 步，{ $images } 张图像，每张图像 Σ 取 { $k } 个时间步）
      L_T          { $prior }
      Σ L_(t−1)    { $sum }
      L_0          { $decoder }
cli-elbo-about = 估计检查点的负 ELBO（−log p(x) 的变分上界），单位为比特/维。
cli-elbo-long =
    负 ELBO = L_T + Σ L_(t−1) + L_0，在一批图像上计算，每一项以比特/维为单位。
    Σ L_(t−1) 有 T−1 项：--strata all 计算每一项；--strata K 精确计算开头的 t = 2 … 1+⌈T/100⌉，其余的 t 等分为 K 层，每张图像在每层随机取一个 t 并按层的大小加权，这是无偏的。标准误差按图像计算。
cli-elbo-checkpoint = 检查点文件夹。
cli-elbo-data = 图像：builtin:shapes、builtin:digits 或一个文件夹。
cli-elbo-images = 要评估多少张图像。
cli-elbo-strata = 开头的 t = 2 … 1+⌈T/100⌉ 精确计算之后，其余 t 的层数 K（每张图像在每层随机取一个 t），或用 `all` 计算每个 t。
cli-elbo-seed = 随机 t 和噪声的种子（图像对每个种子都相同）。
cli-elbo-device = 设备，与 train 相同。
cli-elbo-json = 输出一个 JSON 对象而不是表格。
cli-likelihood-about = 对一张图像估计 P(x) = ∫ N(z; 0, I) N(x; G(z), σ²I) dz，并统计示性函数似然的命中数 G(z) = x。
cli-likelihood-long =
    G 是使用检查点 EMA 权重的确定性 DDIM 链（η = 0），z 是 N 个先验样本。P(x) 以 (1/N) Σ N(x; G(zᵢ), σ²I) 在对数空间中估计，并给出标准误差。
    示性函数似然（G(z) = x 时为 1，否则为 0）几乎对每个 x 都给出 P(x) = 0；高斯似然给每个 x 一个密度，某个 G(z) 离 x 越近，密度越大。
cli-likelihood-checkpoint = 检查点文件夹。
cli-likelihood-image = 图像 x（居中裁剪并缩放到模型的尺寸）。
cli-likelihood-draws = N，先验样本 z ~ N(0, I) 的个数。
cli-likelihood-sigma = p(x|z) = N(x; G(z), σ²I) 的 σ，范围 0.001 到 10。
cli-likelihood-seed = 样本的种子。
cli-likelihood-steps = G 的 DDIM 步数。
cli-likelihood-device = 设备，与 train 相同。
cli-likelihood-json = 输出一个 JSON 对象而不是表格。
cli-likelihood-data = 不用单张图像时：一个数据集（builtin:shapes、builtin:digits 或一个文件夹），对其中 --split 的 --images 张图像，每张都用同样的先验样本计算。
cli-likelihood-images = 使用 --data 时：多少张图像。
cli-likelihood-split = 使用 --data 时：用哪些图像，heldout（默认）、train 或 all。
likelihood-set-table = P_θ = G（DDIM）加上 σ = { $sigma }，在 { $images } 张 { $split } 图像上：{ $bpd } ± { $se } 比特/维（8 位区间；N = { $draws } 个共用的先验样本；各图像中最少的有效样本数 { $eff }）
nll-table =
    概率流 ODE：{ $bits } ± { $se } 比特/维（{ $images } 张 { $split } 图像，第 { $step } 步，{ $method }，每次求解 { $nfe } 次网络调用，Hutchinson 向量 { $probes } 个，每张图像 { $seconds } 秒）
    同一批图像的负 ELBO（所有 t）：{ $elbo } ± { $elbo_se } 比特/维
    两者是同一个网络：ODE 给出的是精确似然（加上反量化的 Jensen 差距），负 ELBO 是它的上界。
cli-nll-about = 计算检查点的概率流 ODE 的精确似然（比特/维），并给出同一批图像的负 ELBO。
cli-nll-long =
    反向 ODE 是一个与数据同维、一一对应的 G，所以 P(x) = N(G⁻¹(x)) |det ∂G⁻¹/∂x| 是有限的：log p(x) = log N(x_T; 0, I) + ∫ div f dt。
    散度用 Hutchinson 估计（--probes 个 Rademacher 向量），每张图像在它的 8 位区间内反量化一次。标准误差按图像计算。
cli-nll-checkpoint = 检查点文件夹。
cli-nll-data = 图像：builtin:shapes、builtin:digits 或一个文件夹。
cli-nll-images = 要评估多少张图像。
cli-nll-split = 用哪些图像：heldout（留出的，默认）、train 或 all。
cli-nll-probes = 每张图像用于估计迹的 Rademacher 向量个数 K（Hutchinson）。
cli-nll-solver = 积分方法：rk45（自适应步长）或 heun（固定步数）。
cli-nll-rtol = RK45 的相对容差。
cli-nll-atol = RK45 的容差（atol，与数值大小无关的部分）。
cli-nll-steps = Heun 的步数。
cli-nll-seed = 反量化和 Hutchinson 向量的种子。
cli-nll-no-elbo = 不计算同一批图像的负 ELBO（所有 t）。
cli-nll-device = 设备，与 train 相同。
cli-nll-json = 输出一个 JSON 对象而不是表格。
cli-elbo-split = 用哪些图像：heldout（留出的，默认）、train 或 all。

## Lesson
lesson-heading = 引导课程
lesson-subtitle = 跟随学习笔记：从扩散模型的前提讲到似然 p(x|z)。
lesson-back = ◀ 上一步
lesson-next = 下一步 ▶
lesson-show-me = 演示给我看
lesson-show-me-tip = 重新为这一步设置好面板
lesson-1-title = 1 · 扩散模型的前提
lesson-1-body =
    所有图像都服从某种概率分布。高斯噪声是从简单的高斯分布 N(0, I) 中采样得到的图像；一张照片则是从某个非常复杂的分布中采样得到的。扩散模型要学会把简单分布中的样本变成复杂分布中的样本。

    面板 ① 显示 t = 0 时的一张图像 x₀：数据分布中的一个点。
lesson-2-title = 2 · 扩散是什么过程
lesson-2-body =
    把图像变成噪声很简单：不断往里加一点高斯噪声即可。T 步之后图像的信息荡然无存，x_T ~ N(0, I)。因为 x₀ 是一个定值，它只决定均值：x_t ~ N(√ᾱ_t · x₀, (1−ᾱ_t) I)，均值是 √ᾱ_t · x₀。

    看面板 ① 把 t 从 0 播放到 T：右侧的直方图逐渐变成 N(0, 1) 的钟形曲线。
lesson-3-title = 3 · 训练数据的获取
lesson-3-body =
    不必一步一步地加噪：一步到位，x_t = √ᾱ_t · x₀ + √(1−ᾱ_t) · ε，其中 ε ~ N(0, I)。一条训练数据以 (x_t, t) 为输入、以 ε 为答案：网络学习预测噪声。

    ᾱ_t 和 β_t 的曲线显示了在所选调度下图像消失得有多快。
lesson-4-title = 4 · 推理过程的流程
lesson-4-body =
    生成时从纯噪声 x_T 出发，反复执行：预测噪声 ε̂ = ε_θ(x_t, t)，算出对干净图像的猜测 x̂₀，再走到 x_(t−1)。DDPM 走满 T 步；DDIM 只跳几步。

    面板 ② 播放这条轨迹：左边是 x_t，右边是模型的 x̂₀。
lesson-5-title = 5 · 网络核心是什么
lesson-5-body =
    ε_θ 是一个小型 U-Net：卷积先把图像缩小以看到全局，再放大回来，跳跃连接保留细节，时间步 t 以正弦编码的形式输入。训练最小化 L_simple = ‖ε − ε_θ(x_t, t)‖²。

    训练现在开始：在面板 ④ 中看损失下降。
lesson-6-title = 6 · 极大似然就是 KL 散度
lesson-6-body =
    我们希望模型的分布 P_θ 给真实图像很高的概率：即最大化 ∏ᵢ P_θ(xᵢ)。取对数并求平均后，这等价于最小化 KL(P_data ‖ P_θ)。

    对扩散模型，−log P_θ(x) 有一个上界：−log P_θ(x) ≤ L = 负 ELBO = L_T + Σ L_(t−1) + L_0（也就是说，对数似然不小于 ELBO），在面板 ④ 中以比特/维显示。
lesson-7-title = 7 · 如何计算 P_θ(x)
lesson-7-body =
    P_θ(x) 无法直接从网络读出。笔记把它写成对噪声的积分：P_θ(x) = ∫ P(z) · P_θ(x | z) dz，其中 z ~ N(0, I)。P(z) 是容易的部分，即标准高斯分布。G 是生成器：这里是把 z = x_T 变成图像 G(z) 的确定性 DDIM 链（η = 0）。关键在于 P_θ(x | z)：给定 z，网络生成 x 的可能性有多大。

    面板 ③ 并排显示一个先验样本 z、它的 G(z) 和 x，并用 N 个 z 样本估计 P(x) ≈ (1/N) Σᵢ P_θ(x | zᵢ)。
lesson-8-title = 8 · 示性函数定义的似然
lesson-8-body =
    直观的定义：若 G(z) = x 则 P_θ(x | z) = 1，否则为 0。但 G 的输出几乎不可能在成百上千个取值上同时与 x 完全相等。对连续的 G，满足 G(z) = x 的 z 构成一个概率为零的集合，所以对几乎每个 x，P_θ(x) 都为 0，也就没有梯度可供学习。（例外：把 G 截断到 ±1 时，纯黑或全白的图像会得到正的概率。）

    面板 ③ 统计 N 个样本中有多少命中 x：在塌缩图中，随着取值个数 d 增加，命中率降为零（在底边画成 ▼，log P = −∞）。
lesson-9-title = 9 · 高斯（VAE）视角
lesson-9-body =
    解决办法：令 P_θ(x | z) = N(x; G(z), σ²I)。这样每个 x 都有一定的概率密度，G(z) 离 x 越近密度越大，而 log P_θ(x | z) = −‖x − G(z)‖²/(2σ²) + 常数 是一个平滑的损失。在塌缩图中，高斯曲线对每个 d 都保持有限。

    随着训练进行，均值 G(z) 走向 x：面板 ③ 中的钟形曲线向 x 那条线滑动，‖G(z) − x‖ 不断减小。这就是 VAE 以及扩散模型中高斯步骤背后的观点。

lesson-10-title = 10 · 一维中的整个分布
lesson-10-body =
    图像一次只显示一个样本；如果每个样本只有一个取值，整个分布都能画在屏幕上。面板 ⑤ 现在正在实时地在一个高斯混合上训练一个小网络。

    左侧：前向边缘分布 q(x_t)（混合分布有精确解）逐渐融化为 N(0, 1)，粒子再一步步走回来。右侧：生成器 G(z)，以及对 G 的每一段精确计算的 P_θ(x) = ∫ N(z) N(x; G(z), σ²) dz。直线 x 只与 G 相交于孤立的 z*，所以示性函数似然为 0；当 σ → 0 时，高斯似然趋于对所有交点 z* 求和的 Σ N(z*)/|G′(z*)|。
lesson-11-title = 11 · 二维
lesson-11-body =
    在二维中，粒子沿着学到的 −ε̂ 从 N(0, I) 流向两个月牙。样本与数据之间的切片 Wasserstein 距离不断下降，逼近两次独立数据抽样之间的下限；选择「我的图像」就能学习你自己图片中的暗像素。
lesson-12-title = 12 · 精确似然：概率流 ODE
lesson-12-body =
    笔记里的这个问，现在有了完整的回答。把反向过程里的噪声去除，它就变成一个 ODE（方程）：dx/dt = −½β(t)[x − ε̂(x, t)/σ_t]，它的边缘分布与扩散过程相同。它从 x_T 到 x 的映射 G 是一一对应的，维数不变，所以不会塌缩：P(x) = N(G⁻¹(x)) · |det ∂G⁻¹/∂x|，log p(x) = log N(x_T; 0, I) + ∫ div f dt，是一个有限的密度，不需要任何 σ。

    面板 ④ 现在用这种方法计算评估图像的似然（迹用 Hutchinson 估计，每张图像反量化一次），并与同一个网络、同一步的负 ELBO 并排显示：两者的差距就是上界的余量。在 ⑤ 中，「计算 ODE 的密度」会在整个一维或二维世界上画出这个密度。
lesson-13-title = 13 · 引导：用多样性换精度
lesson-13-body =
    真实的扩散工具用一个引导大小来调节。面板 ⑤ 现在在三个相交的、带有种类的数据上训练一个网络，并且十次里有一次把种类藏起来（空种类 ∅），所以同一个网络同时预测 ε(x, c) 和 ε(x, ∅)。采样时用 ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅))：w = 1 是通常的条件采样，w = 0 不看种类。

    把 w 调大：每个种类的粒子离开种类之间共有的地方，集中到 p(种类 | x) 接近 1 的地方。「遍历 w」用数据的精确 p(种类 | x) 来测量：精度增加到接近 1，而样本不再布满整个种类的范围。

    面板 ② 在图像上也是这样：内置模型以种类为条件（circle、square、triangle）。选一个种类，调大 w，再点「遍历 w」，就能看到同一个 x_T 在 w = 0、1、2、4、8 时的样子。「测量准确率和多样性随 w 的变化」让另外训练的一个分类器来给样本打分：准确率增加，多样性下降；w 很大时，样本变得更亮，离训练图像的距离更大。
lesson-14-title = 14 · 同一个模型，不同的采样器
lesson-14-body =
    训练好的网络只做预测；采样器决定如何从噪声走到数据，以及这一路要调用网络多少次（NFE）。面板 ⑤ 现在在两个月牙上并排训练两个模型：A 像 DDPM 一样预测 ε，B 是 flow matching。每个采样器都通过同一个换算，在同样的噪声大小上从任一网络得到 x̂₀ 和 ε̂。

    按下"测量采样器"：DDPM（每一步都加入新的噪声）、DDIM（确定性）、Euler、Heun（每步调用两次，精度更高）和 DPM-Solver++(2M)（每步调用一次，用上一步提高精度）都从同样的 1000 个起点出发，调用 1、2、4 … 64 次。两边都取对数的图显示每个采样器多快接近下限，即两次数据抽样之间的距离：这些精度更高的方法用少得多的调用就能接近，这就是为什么现在的工具只用 20 到 30 步而不是 1000 步采样。在扩散模型的网格上，步数很少时 Heun 会走过头：一步之内噪声大小要减小一百倍。
lesson-15-title = 15 · 扩散与 flow matching
lesson-15-body =
    Flow matching（Stable Diffusion 3、Flux）在数据点和它的噪声之间画一条直线 x_t = (1 − t)x₀ + tε，让网络学习变化率 ε − x₀。学到的路径仍然是曲线，因为许多直线相交，网络只能学到它们的平均。曲度 S = E∫‖v‖dt / E‖x₁ − x₀‖ − 1 表示偏离直线多少（直线为 0），从噪声走一步 Euler 则显示这种偏离的代价。

    在 B 上选中"最优运输配对"：每个批次的数据用总代价最小的方式和噪声配对，直线相交得更少，S 降向 0，一步就能接近数据。或者按下"Reflow"：模型用它自己的（噪声，样本）对重新训练，这些路径从不相交；在前后各测量一次。图中还显示了一点要注意的：用了最优运输配对或 reflow 以后，变化率不再是数据的 score，所以需要 score 的 DDPM 带噪声的采样器会出错，而 ODE 采样器不会。
## Worker notices
worker-open-failed = 无法打开 { $path }：{ $error }；从头开始
worker-data-note = ：{ $summary }
worker-training-on = 正在用 { $source } 训练{ $note }
worker-no-images = 没有可用于训练的图像；保留当前训练数据
worker-training-on-dropped = 正在用 { $n } 张拖入的图像训练
worker-save-failed = 无法保存：{ $error }
worker-kept-model = 保留当前模型：{ $error }
worker-fallback-reason = { $was } 出错（{ $reason }）；已改用 CPU
worker-weights-lost = 设备上的权重已丢失
worker-device-same = 已经在 { $device } 上（{ $reason }）
worker-device-switched = 已在第 { $step } 步从 { $was } 切换到 { $device }：权重、优化器状态和步数都已保留（{ $reason }）
worker-device-switch-failed = 无法切换到 { $device }（{ $error }）；仍在 { $was } 上
worker-fallback-moved = 在 CPU 上从第 { $step } 步继续
worker-fallback-autosave = 它上面的权重已丢失；已在 CPU 上从第 { $step } 步的自动保存继续
worker-fallback-fresh = 它上面的权重已丢失；已在 CPU 上用同一种子从头开始
worker-fallback-failed = { $was } 停止工作（{ $reason }），改用 CPU 也失败了：{ $error }
worker-fallback = { $was } 停止工作（{ $reason }）；{ $how }。
worker-autosave-failed = 自动保存失败，已关闭：{ $error }
worker-training-paused = 训练已暂停：{ $error }
worker-elbo-not-finite = ELBO 估计值不是有限数；未绘制
worker-elbo-failed = ELBO 估计失败：{ $error }
worker-ode-failed = 无法估计 ODE 似然：{ $error }
worker-ode-model-changed = ODE 似然的估计已停止：模型变了

## Errors: images and datasets
image-err-io = 无法读取 { $path }：{ $error }
image-err-not-a-file = { $path } 不是文件
image-err-empty = 文件是空的（0 字节）
image-err-file-too-large = 文件大小为 { $bytes } 字节；最多接受 { $max } 字节
image-err-unknown-format = 不是本程序能读取的图像（PNG、JPEG、GIF、BMP、WebP、TIFF、ICO、PNM、TGA）
image-err-too-large = 图像尺寸为 { $width }×{ $height }；边长最多接受 { $max } 像素
image-err-no-pixels = 图像没有像素（{ $width }×{ $height }）
image-err-corrupt = 图像已损坏或不完整：{ $detail }
data-err-folder = 无法读取文件夹 { $path }：{ $error }
data-err-no-images = { $path } 中没有可用的图像（跳过了 { $skipped } 个文件{ $first }）
data-err-first = ；第一个：{ $path }：{ $why }
data-summary = { $n } 张图像
data-summary-skipped = { $n } 张图像；跳过 { $skipped } 个：{ $files }
label-err-too-few = { $source } 只有 { $n } 个种类（{ $classes }）；条件模型最少要有 2 个：把每个种类的图像放进它自己的子文件夹（cats/、dogs/ …）
label-err-empty = { $source } 的种类 { $class } 没有可用的图像：向它的子文件夹加入图像，或删除这个文件夹

## Errors: checkpoints and training
ckpt-err-missing = { $path } 不是检查点文件夹（没有 { $record }）
ckpt-err-foreign = { $path } 不是本程序（diffusion-playground）的检查点
ckpt-err-corrupt = 检查点已损坏：{ $detail }
ckpt-err-version = 检查点的格式版本是 { $found }；本程序只能读取版本 { $supported }
ckpt-err-mismatch = 检查点的模型不匹配：{ $detail }
ckpt-err-data = 检查点的数据集：{ $error }
train-err-non-finite = 第 { $step } 步的损失变成了 { $loss }；已回滚到第 { $rolled_back_to } 步。请尝试更小的学习率。
train-err-device = 设备出错：{ $error }
train-err-cancelled = 已取消

## Devices
device-gpu = GPU · { $name }（wgpu）
device-cpu = CPU（flex）
device-reason-cpu-asked = 选择了 CPU（--device cpu 或设备菜单）
device-reason-found-gpu = 找到了 GPU 适配器（{ $name }，{ $api }）
device-reason-no-adapter = wgpu 没有找到任何适配器
device-reason-software-only = wgpu 只找到了软件适配器（{ $names }）
device-reason-flex-faster = { $seen }；flex CPU 后端更快
device-reason-gpu-asked = 选择了 GPU（--device gpu 或设备菜单）
device-reason-spirv-software = { $name } 是软件 Vulkan 适配器，而这个版本会编译 SPIR-V 内核，它运行不了（Mesa 的 lavapipe 会在这些内核上崩溃）；改用 CPU
device-reason-gpu-software = 选择了 GPU，但 wgpu 唯一的适配器是 { $name }，一个在 CPU 上运行的软件渲染器：能用，但比 flex CPU 后端慢
device-reason-start-failed = wgpu 设备启动失败（{ $error }）；已改用 CPU

## Command line (--help)
cli-help-template =
    {about-with-newline}
    用法：{usage}

    {all-args}{after-help}
cli-heading-options = 选项
cli-heading-commands = 命令
cli-flag-help = 显示帮助
cli-flag-version = 显示版本
cli-app-about = 在自己的电脑上现场训练一个扩散模型，边看边学。
cli-app-long =
    在自己的电脑上现场训练一个扩散模型，边看边学。

    不带命令运行即打开桌面程序。下面的命令以脚本方式完成程序中的同样步骤：查看图像的前向（加噪）过程、训练模型、从模型采样以及性能测试。帮助信息跟随系统语言；可设置 DIFFUSION_PLAYGROUND_LANG=en 或 zh-CN 来选择。
cli-app-device = 用于桌面程序：auto（有真正的 GPU 就用 GPU，否则用 CPU）、gpu 或 cpu。默认取 $DIFFUSION_PLAYGROUND_DEVICE，否则为 auto。
cli-app-checkpoint = 用于桌面程序：打开这个检查点，而不是自带的检查点。
cli-app-fresh = 用于桌面程序：从未训练的模型开始，而不是自带的模型。
cli-inspect-about = 显示前向过程 q(x_t | x_0) 在时间步 t 对一张图像做了什么。
cli-inspect-long =
    显示前向过程 q(x_t | x_0) 在时间步 t 对一张图像做了什么。

    x_t = √ᾱ_t · x_0 + √(1−ᾱ_t) · ε，ε ~ N(0, I)。随着 t 增大，ᾱ_t 从 1 降向 0，图像逐渐消失、噪声占据主导：到 t = T 时，x_T 几乎就是 N(0, I)，这正是反向过程的起点。
cli-inspect-image = 图像 x_0（PNG、JPEG、GIF、BMP、WebP、TIFF 等）。会居中裁剪、缩放到 --size 并映射到 [-1, 1]。
cli-inspect-t = 时间步 t，从 1（几乎没有噪声）到 T（纯噪声）。
cli-inspect-schedule = β 调度：linear（Ho 等，2020）、cosine（Nichol 与 Dhariwal，2021）或 sigmoid。cosine 在小 t 时破坏信息更慢。
cli-inspect-timesteps = T，扩散的总步数（2 到 4000）。
cli-inspect-size = 模型看到的正方形图像的边长（像素）。
cli-inspect-seed = --out 所用噪声 ε 的随机种子。
cli-inspect-out = 把 x_t 写到这里（[-1, 1] 映射到 0..255，超出部分截断），格式由文件结尾的 .png、.jpg 等决定（没有时为 PNG）。
cli-inspect-json = 输出一个 JSON 对象而不是表格。
cli-train-about = 在数据集上训练噪声预测器 ε_θ(x_t, t) 并保存检查点。
cli-train-long =
    在数据集上训练噪声预测器 ε_θ(x_t, t) 并保存检查点。

    每一步抽取一批 x_0、在 1..T 中均匀抽取时间步 t 和噪声 ε，构造 x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε，并对损失 L_simple = ‖ε − ε_θ(x_t, t)‖² 做一步 Adam 更新。损失一开始接近 1（什么也预测不出），随着网络学会你的数据上的噪声长什么样而下降。
cli-train-data = 训练数据：builtin:shapes、builtin:digits 或一个图像文件夹。
cli-train-steps = 要训练的优化步数（在继续训练的检查点已有步数之外）。必须给出 --steps 或 --seconds（或两者）。
cli-train-seconds = 训练这么多秒后停止（采样时间不计），或到 --steps 为止，以先到者为准。必须给出 --steps 或 --seconds（或两者）。
cli-train-sample-at = 在训练到这些秒数时（逗号分隔），把 16 张 DDIM-50 样本（EMA 权重，种子 0）写到 OUT/sample-<秒数>s.png。
cli-train-batch = 每步的图像数（默认 32；继续训练时沿用检查点的值）。
cli-train-size = 正方形图像的边长（像素，4 的倍数；默认 32；继续训练时必须与检查点相同）。
cli-train-device = auto：有真正的 GPU 就用 GPU，否则用 CPU；gpu：即使只有软件适配器也用 wgpu；cpu：burn 的 flex 后端。默认取 $DIFFUSION_PLAYGROUND_DEVICE，否则为 auto。
cli-train-out = 写入检查点的文件夹（不存在时自动生成；如果其中已有另一次训练的检查点，除非给出 --force，否则不写入）。
cli-train-force = 即使 --out 中已有另一次训练的检查点也写入。
cli-train-resume = 从这个检查点继续训练（沿用它的模型、调度、优化器状态和步数，以及没有给出的批大小、学习率和种子）。
cli-train-metrics = 把 step,loss,images_per_s 行追加到这个 CSV 文件（它的文件夹会自动生成）。
cli-train-lr = Adam 学习率（默认 2e-4；继续训练时沿用检查点的值）。
cli-train-seed = 初始权重和每个批次的随机种子（默认 0；继续训练时沿用检查点的值）。
cli-train-schedule = β 调度：linear、cosine 或 sigmoid（默认 linear；继续训练时必须与检查点相同）。
cli-train-timesteps = T，扩散的总步数（默认 1000；继续训练时必须与检查点相同）。
cli-train-base-channels = U-Net 第一层的通道数，后面各层是它的倍数（默认 48；继续训练时必须与检查点相同）。
cli-train-save-every = 每 N 步以及结束时保存一次检查点（0：只在结束时保存）。
cli-train-conditional = 训练一个以种类为条件的模型，用于无分类器的引导；种类来自数据（shapes：circle、square、triangle；digits：0 到 9；文件夹：它的子文件夹）。
cli-train-p-uncond = 使用 --conditional 时：把种类换成空种类 ∅ 的概率（默认 0.1；使用 --resume 时为检查点的值）。
cli-train-objective = 网络预测什么：eps（默认）、x0、v 或 flow（flow matching：沿 x_t = (1 − t)x₀ + tε 的变化率 ε − x₀）。继续训练时沿用检查点的选择。
cli-train-flow-time = 使用 --objective flow 时：t 如何取，uniform（默认）或 logit-normal。
cli-sample-about = 从噪声出发运行反向过程，用检查点生成图像。
cli-sample-long =
    从噪声出发运行反向过程，用检查点生成图像。

    DDPM 逐一走过 t = T … 1，每一步加入一点新的噪声。DDIM 则只做 --steps 次等间隔的跳跃，在 --eta 0 时是确定性的。
cli-sample-checkpoint = 由 `train` 写出的检查点文件夹（或 assets/pretrained）。
cli-sample-n = 图像数量。
cli-sample-sampler = ddpm（每一步都走，随机）、ddim（步数少，eta 为 0 时确定），或 ODE 采样器 euler、heun、dpmpp2m（Karras σ 网格，ρ = 7；flow matching 模型在自己的直线上，t 均匀取）。
cli-sample-steps = ddim、euler、heun 或 dpmpp2m 的步数（Heun 每步调用网络两次；会输出调用次数）。
cli-sample-eta = DDIM 的 η：0 为确定性，1 加入与 DDPM 类似的噪声。
cli-sample-seed = 起始噪声的随机种子。
cli-sample-out = 把样本网格写到这里，格式由文件结尾的 .png、.jpg 等决定（没有时为 PNG）。
cli-sample-trajectory = 同时把反向轨迹写成 GIF 动画（左 x_t，右 x̂_0）；文件必须以 .gif 结尾。
cli-sample-device = 设备，与 train 相同。
cli-sample-class = 以种类为条件的检查点：采样这个种类，用它的种类或序号。
cli-sample-guidance = 使用 --class 时：ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)) 中的引导大小 w；1 是通常的条件采样，0 是无条件采样，更大时更靠近这个种类（默认 1）。
cli-sample-nearest = 同时给出样本到 N 张训练图像中最近一张的平均 RMS 距离（内置数据集用种子 0x2EF 新画的图像，文件夹用前 N 张），以 0 到 255 的 8 位值计。
cli-bench-about = 测量训练吞吐量、采样延迟、训练时程序的帧时间、启动时间和内存占用，并在装有 PyTorch 时与参考实现对比。
cli-bench-long =
    测量训练吞吐量、采样延迟、训练时程序的帧时间、启动时间和内存占用，并在装有 PyTorch 时与参考实现对比。

    每个数字都在预热之后计时；每步的数字取中位数。见 BENCHMARKS.md。
cli-bench-device = auto、gpu 或 cpu，与 train 相同。
cli-bench-json = 输出一个 JSON 对象而不是表格。
cli-bench-repeats = 预热之后，每个数字计时的训练步数和 DDIM 运行次数（训练计时总共不少于 0.4 秒 × 次数）。
cli-bench-ddpm-steps = 计时的 DDPM 步数（1000 即完整运行；更少时外推到 1000 并注明）。
cli-bench-frames = 训练时驱动程序运行的帧数。
cli-bench-reference = PyTorch 参考脚本（默认：benches/reference/unet_reference.py）。
cli-bench-python = 运行参考脚本的 Python 解释器。
cli-soak-about = 在（无窗口的）程序中连续训练和采样一段时间，每秒报告一次内存和积压：长时间运行检查（见 RELIABILITY.md）。
cli-soak-seconds = 运行多久（秒）。
cli-soak-min-steps = 并且训练不少于这么多步才停止，机器再慢也等（默认 0）。
cli-soak-min-samples = 并且得到不少于这么多次样本才停止，机器再慢也等（默认 0）。
cli-soak-device = auto、gpu 或 cpu，与 train 相同。
cli-soak-json = 输出一个 JSON 对象而不是摘要。

## Settings: locks
settings-locked = 已被教师预设锁定

## Curves file
curves-err-header = 不是本程序写出的曲线文件（第一行不同）

## Teacher mode
control-schedule = 噪声调度与 T
control-dataset = 训练数据
control-lr = 学习率
control-seed = 随机种子
control-batch = 批大小
control-reset = 重置与回到起点
teacher-err-io = 无法读写 { $path }：{ $error }
teacher-err-parse = { $path } 不是有效的预设：{ $error }
teacher-err-too-big = { $path } 太大，不像是预设文件（最多 64 KiB）
teacher-err-value = 预设中的 { $what } 超出范围
teacher-err-not-a-run = { $path } 不是本程序导出的训练记录
menu-teacher = 教师
menu-save-preset = 保存预设…
menu-save-preset-tip = 把当前视图（数据、调度、T、种子、学习率、面板、锁定、语言）保存为 TOML 文件，便于分发给学生。
menu-open-preset = 打开预设…
menu-open-preset-tip = 应用预设文件：让每个学生看到同样的视图。
menu-rewind = 回到同一个起点
menu-rewind-tip = 从完全相同的初始权重（模型自己的种子）重新开始训练，全班可以再看一遍同样的训练过程。
menu-presentation = 演示布局
menu-presentation-tip = 更大的字体、隐藏设置面板，适合投影。
menu-export-run = 导出训练记录…
menu-export-run-tip = 保存一个文件夹，包含检查点、曲线（CSV）、轨迹（GIF）、视图（预设）以及每个面板的 PNG 图。
menu-open-run = 打开训练记录…
menu-open-run-tip = 打开导出的训练记录文件夹：恢复其模型、曲线和视图。
menu-locks = 为学生锁定：
notice-preset-applied = 已应用预设“{ $name }”
notice-preset-failed = 预设未应用：{ $error }
notice-rewound = 已回到种子 { $seed } 的初始权重
notice-run-exported = 训练记录已导出到 { $path }
notice-run-failed = 无法打开训练记录：{ $error }
notice-curves-skipped = 曲线文件中有 { $n } 行无法读取，已跳过
notice-curves-failed = 曲线未载入：{ $error }
notice-run-opened = 已打开 { $path } 中的训练记录

## Locks
notice-locked = { $control } 已被教师预设锁定

## inspect table
inspect-table =
    调度                   { $schedule }（T = { $timesteps }）
    t                      { $t }
    β_t                    { $beta }   这一步加入的噪声
    ᾱ_t                    { $alpha_bar }   图像方差保留的比例
    SNR(t) = ᾱ/(1−ᾱ)       { $snr }   信噪比
    β̃_t                    { $posterior }   q(x_(t−1) | x_t, x_0) 的方差
    x_0² 的均值            { $mean_sq }
    KL(q(x_T|x_0) ‖ N(0,I)) { $kl } 比特/维  （≈ 0：x_T 是纯噪声）

## The 1-D/2-D worlds
points-err-empty-image = 图像没有像素
points-err-no-dark = 图像中没有可以变成点的暗像素（试试亮像素）
points-err-no-bright = 图像中没有可以变成点的亮像素（试试暗像素）
points-err-no-components = 混合分布没有分量：请添加一个（权重和宽度都要为正）
points-err-unknown = 未知的玩具数据「{ $name }」：应为 moons、spiral、rings、grid、mixture 或一个图像文件
toy-table =
    { $data }：{ $steps } 步，用时 { $seconds } 秒（每秒 { $rate } 步）
    与数据之间的切片 Wasserstein 距离：{ $swd }（两次独立数据抽样之间的下限 { $floor }，N(0, I) 与数据之间 { $start }）
toy-table-likelihood = { $points } 个留出的点，同一个网络的两个模型：概率流 ODE 的精确 −log p 为 { $ode } ± { $ode_se } 奈特/点（{ $nfe } 次网络调用），扩散模型的负 ELBO（所有 t）为 { $elbo } ± { $elbo_se } 奈特/点
cli-toy-about = 从头训练一维/二维世界的小型 MLP，并报告其样本与数据的接近程度。
cli-toy-long =
    与图像模型相同的噪声调度、损失和 DDIM 采样器，只是作用在点而不是像素上：在任何 CPU 上几秒钟就能训练好。距离是 2000 个样本与 2000 个数据点之间的切片 Wasserstein 距离，并给出下限（两次独立的数据抽样之间）和起点（N(0, I) 与数据之间）。
cli-toy-data = moons、spiral、rings、grid、mixture，或一个图像文件（其暗像素成为二维数据；--pixels bright 则用亮像素；--pixels both 把两者作为两个种类）。
cli-toy-pixels = 当 --data 是图像文件时：用哪些像素作为点，dark（暗）、bright（亮）或 both（两者，作为两个种类，用于 --conditional）。
cli-toy-steps = 训练步数。
cli-toy-seed = 权重、批次和噪声的种子。
cli-toy-json = 输出一个 JSON 对象而不是表格。
cli-toy-conditional = 训练一个以种类为条件的模型（带有种类的数据：overlap、moons、spiral），用于无分类器的引导。
cli-toy-p-uncond = 使用 --conditional 时：把种类换成空种类 ∅ 的概率。
cli-toy-guidance-sweep = 在 overlap 上使用 --conditional 时：要采样的引导大小 w，例如 0,1,2,3,5（w = 1 是通常的条件采样，w = 0 是无条件采样）。
cli-toy-samples-csv = 使用 --guidance-sweep 时：把训练数据和每个 w 的样本写入这个 CSV（source、class、w、x、y）；使用 --nfe-sweep 时：每个采样器在每个预算下的样本（source、sampler、nfe、x、y）。
cli-toy-objective = 网络预测什么：eps、x0、v 或 flow（flow matching：沿 x_t = (1 − t)x₀ + tε 的变化率 ε − x₀）。
cli-toy-flow-time = 使用 --objective flow 时：t 如何取，uniform 或 logit-normal。
cli-toy-ot = 使用 --objective flow 时：在每个批次内用精确的最优运输（optimal transport）把数据和噪声配对。
cli-toy-reflow = 使用 --objective flow 时：训练 --steps 步以后，再用模型自己的（噪声，样本）对训练 --steps 步；JSON 的 before_reflow 给出第一个模型的数。
cli-toy-sampler = 使用 --nfe-sweep 时：要放在一起看的采样器，用逗号分隔：ddpm、ddim、euler、heun、dpmpp2m。
cli-toy-nfe-sweep = 网络调用次数的预算，每个 --sampler 都从同样的 x_T 在这些预算下采样，例如 1,2,4,8,16,32,64；JSON 的 sweep 给出每一个到数据的 SWD。
cli-toy-lr = Adam 的学习率。
cli-toy-batch = 每个训练步的点数。
world-data-mixture = 一维：高斯混合（可编辑）
world-data-pixels = 一维：我的图像的像素值
world-data-moons = 二维：两个月牙
world-data-spiral = 二维：螺旋
world-data-rings = 二维：三个圆环
world-data-grid = 二维：高斯网格
world-data-image-dark = 二维：我的图像的暗像素
world-data-image-bright = 二维：我的图像的亮像素
world-data-image-classes = 二维：我的图像的暗像素和亮像素，作为两个种类（引导）
world-data-overlap = 二维：三个相交的种类（引导）
world-steps = » 500 步
world-reset-tip = 用设置中的种子重新生成权重，回到第 0 步（同一个种子给出同样的起点）。
world-rate = 每秒 { $rate } 步
world-model-note = 一个 3×128 的 MLP 噪声预测器，使用与图像模型相同的调度代码（linear，T = 100）、损失和采样器；在 CPU 上几秒钟就能训练好。粒子使用遍历每个 t 的 DDPM；G 是确定性的 DDIM 链（η = 0，25 步）；两者都把 x̂₀ 截断到 ±3（数据位于 ±2 以内），就像图像模型截断到 [−1, 1]。
world-remove = 删除这个分量
world-add = + 分量
world-starting = 正在启动这个世界…
world-frame = 反向步
world-paths = 精确的前向边缘分布 q(x_t)（混合分布有闭式解）以及粒子从 x_T ~ N(0, 1) 出发的反向路径
world-key-marginal = q(x_t)，越亮越密
world-key-paths = 反向路径
world-key-particles = 当前的粒子
world-generator = 生成器 G：z = x_T ↦ x（确定性 DDIM，η = 0）
world-key-g = G(z)
world-key-x = 取值 x
world-key-crossings = 满足 G(z*) = x 的 z*
world-indicator = 直线 x 与 G 只相交于 { $n } 个孤立点 z*，这是一个概率为零的集合：对每个 x，示性函数似然都给出 ∫ N(z; 0, 1) 1[G(z) = x] dz = { $value }（在 z 的网格上）。
world-density = P_θ(x) = ∫ N(z; 0, 1) N(x; G(z), σ²) dz（G 在所画的 z 之间连成直线时精确计算），并与数据和样本对照
world-sigma-tip = p(x|z) = N(x; G(z), σ²) 的 σ。当 σ → 0 时，P_θ 趋于推前密度 Σ N(z*)/|G′(z*)|。
world-key-data = 数据
world-key-hist = 样本（直方图）
world-key-p-theta = σ 下的 P_θ(x)
world-key-push = σ → 0：Σ N(z*)/|G′(z*)|
world-mass = 在绘图范围内 ∫ P_θ(x) dx = { $mass }（除尾部外为 1：这是一个密度，不像示性函数那样为 0）
world-walk = 随着训练进行，均值 G(z₀) 走向 x
world-walk-z0 = z₀ = Φ⁻¹(F_data(x)) = { $z0 } 是完美的 G 会送到 x = { $x } 的 z；钟形曲线是训练中每次视图的 N(·; G(z₀), σ²)（混合数据）。
world-key-bell-now = 当前
world-flow = 粒子从 N(0, I) 流向数据，以及在所示 t 下学到的 −ε̂
world-key-field = −ε̂_θ(x, t)：去除噪声的方向
world-swd = 样本质量：2000 个样本与 2000 个数据点之间的切片 Wasserstein 距离（SWD）
world-swd-now = SWD { $swd } = 下限 { $floor }（两次独立的数据抽样之间）的 { $ratio } 倍；N(0, I) 的起点为 { $start }。
world-key-swd = 样本的 SWD
world-key-floor = 下限：数据对数据
world-key-start = 起点：N(0, I) 对数据
world-data-label = 数据
cli-bench-toy-only = 只测量一维/二维世界（一两分钟，而不是一刻钟）。
cli-bench-window = 打开真实窗口（在现有的显示上：桌面或 Xvfb），在其中测量预设的演示：每秒帧数、整帧时间、界面线程的 CPU 占用，以及窗口中训练的快慢与不开窗口的同一训练线程对比。
cli-bench-scene-seconds = 与 --window 一起用：每个演示预热 3 秒后测量的秒数（为了读取 30 秒时的样本，当它不小于 10 时，“用这张图像训练”最少运行 29 秒）。
cli-bench-scenes = 与 --window 一起用：只运行这些演示（用逗号分隔）：train-on-image、sampling、likelihood、world-1d、world-2d。
world-nll = 在 { $n } 个留出样本上，以每个样本的奈特计：−log P_θ(x) = { $at_sigma }（精确计算，G = DDIM 加上 σ = { $sigma }）；σ → 0 时为 { $push }（G 的推前密度）；扩散模型的负 ELBO（全部 { $t } 个 KL 项，高斯解码器）= { $elbo } ± { $se }，是它自己的 −log p_θ(x) 的上界。这些是同一个网络的不同模型（P_θ 在 DDIM 映射上加了 σ，p_θ 是随机的链）：要对比同一个模型的上界与精确似然，请看下面的 ODE。
world-guidance-title = 无分类器的引导：ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅))
world-guidance-class = 向量场的种类
world-guidance-class-n = 种类 { $n }
world-guidance-w-tip = w = 1 是通常的条件采样，w = 0 是无条件采样；大于 1 时样本被推离其他种类。粒子逐个取各个种类，每个种类一种色，都用这个 w。
world-guidance-sweep = 遍历 w
world-guidance-sweep-tip = 在 w = 0、0.5、1、2、3、5、8 时，从同样的 x_T 对每个种类采样 200 个点，用数据的精确 p(种类 | x) 来计算：精度是 p > 0.9 的样本所占的比例，分散度是它们到种类均值的平均距离（几秒钟；期间训练会等待）。
world-guidance-convention = 训练时网络的种类有十分之一的概率被换成 ∅，所以同一个网络同时给出 ε(x, c) 和 ε(x, ∅)；每一步在同一个批次里计算两者。
world-guidance-precision = 精度：p(种类 | x) > 0.9 的比例
world-guidance-spread = 分散度：到种类均值的平均距离
world-guidance-diversity = 多样性：同一种类的两个样本之间的平均距离
world-ode-title = 同一个网络的精确似然：它的概率流 ODE
world-ode-button = 计算 ODE 的密度
world-ode-button-tip = 概率流 ODE dx/dt = −½β(t)[x − ε̂(x, t)/σ_t] 把 N(0, I) 一一对应地映射成与数据同维的密度：log p(x) = log N(x_T; 0, I) + ∫ div f dt，这里的散度是精确的。对当前的权重计算一次（几秒钟；期间训练会等待）。
world-ode-pending = 正在求解 ODE…
world-key-ode = ODE 的 p(x)，精确
world-ode-held-out = 在同样的 { $n } 个留出点上（第 { $step } 步），以每个点的奈特计：ODE 的 −log p = { $ode } ± { $ode_se }（精确散度，RK45，{ $nfe } 次网络调用）；同一个网络的负 ELBO = { $elbo } ± { $elbo_se }；负 ELBO − ODE = { $gap } ± { $gap_se }（配对）。与 G 加上 σ 不同，ODE 的 G 是与数据同维、一一对应的，所以不需要任何 σ，它的 P(x) 就是一个有限的密度。
world-ode-heat-model = ODE 的密度 p(x)，第 { $step } 步（Heun，每个点 { $nfe } 次网络调用）
world-ode-heat-data = 数据的密度（20,000 次抽样的直方图）
world-ode-heat-scale = 两者都在 [−{ $w }, { $w }]² 上，用同一个色标：密度的平方根，从 0（暗）到 { $top }（亮，数据最密的格子）。
world-play-tip = 播放从 x_T 到 x₀ 的反向过程（每秒十帧）
world-click-tip = 点击图中某处即可在那里添加一个混合分量；拖动上方的 μ、s、w 数值可以移动、加宽或改变一个分量的权重。

## Panel ②: guidance (a class-conditional model)
guidance-title = 无分类器的引导：ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅))
guidance-convention = 这个模型以种类为条件：训练时它的种类有十分之一的概率被换成空种类 ∅，所以同一个网络同时给出 ε(x, c) 和 ε(x, ∅)。w = 1 是通常的条件采样，w = 0 是无条件采样；引导的每一步在同一个批次里计算两者。
guidance-class = 种类
guidance-every-class = 所有种类，一个接一个
guidance-w-tip = 引导大小 w。大于 1 时，每一步都被推离无条件模型的预测，推向让种类一看就知道的地方：样本更像这个种类、更少变化；w 很大时，像素被推到 ±1 的极端，样本离开数据。
guidance-sweep = 遍历 w
guidance-sweep-tip = 用设置里的采样器，从同样的 x_T 在 w = 0、1、2、4、8 时各采样一张所选种类的图像（选了所有种类时用第一个种类）。
guidance-strip-caption = 同样的 x_T，种类 { $class }，在每个 w 下引导（第 { $step } 步）：

## guidance (command line)
guidance-table-head =
    { $sampled } 的引导遍历：每个种类和每个 w 各 { $n } 个样本，{ $sampler }，第 { $step } 步
    打分的是：在带有种类的数据上训练的分类器，在 { $images } 张留出图像上的正确率为 { $acc }（{ $source }）
    accuracy：分类器认为是所要种类的样本比例；diversity：同一种类的两个样本之间的平均 RMS 距离（单位空间）；nearest：到 512 张训练图像中最近一张的 RMS 距离（以 0 到 255 的 8 位值计）；saturated：值为 0 或 255（最暗或最亮）的比例
cli-guidance-about = 无分类器的引导在每个 w 下对以种类为条件的检查点的样本做了什么。
cli-guidance-long =
    先在带有种类的数据上训练一个小分类器几秒钟，并给出它在留出图像上的正确率。然后对每个 w，从同样的 x_T 采样每个种类，并计算：分类器认为是所要种类的比例、多样性（两两之间的平均 RMS 距离）、到最近训练图像的距离，以及值为 0 或 255 的比例。
    w 是 ε_w = ε(x, ∅) + w·(ε(x, c) − ε(x, ∅)) 中的大小：1 是通常的条件采样，0 是无条件采样。
cli-guidance-checkpoint = 以种类为条件的检查点（train --conditional）。
cli-guidance-class = 要采样的种类，用它的种类或序号；all 表示所有种类。
cli-guidance-w = 引导大小，用逗号分隔。
cli-guidance-n = 每个种类和每个大小的样本数。
cli-guidance-seed = 样本的 x_T（每个 w 相同）和分类器的种子。
cli-guidance-data = 分类器学习的带有种类的数据（默认：检查点的数据）。
cli-guidance-classifier-steps = 分类器训练的步数（批次 64）。
cli-guidance-sampler = ddpm 或 ddim。
cli-guidance-steps = DDIM 步数。
cli-guidance-device = 设备，与 train 相同。
cli-guidance-json = 输出一个 JSON 对象而不是表格。
guidance-measure = 测量准确率和多样性随 w 的变化
guidance-measure-tip = 先在带有种类的数据上训练一个小分类器几秒钟（它只用来打分，从不看到样本）。然后用设置里的采样器，在 w = 0、1、2、4、8 时为每个种类各采样 { $n } 张图像（每个 w 用同样的 x_T）并打分。期间训练会等待；在两个 CPU 核上大约一分钟。
guidance-measuring = 先训练分类器，再为每个种类在每个 w 下采样
guidance-measure-failed = 引导的测量失败：{ $reason }
guidance-measured = 第 { $step } 步：每个种类和每个 w 各 { $n } 个样本，{ $classes } 个种类。打分的分类器在带有种类的数据上训练，在 { $images } 张留出图像上正确率为 { $acc } %。
guidance-accuracy = 准确率：分类器认为是所要种类的比例
guidance-diversity = 多样性：同一种类的两个样本在分类器的内部表示中的平均距离，1 = 两张训练图像之间的距离
guidance-measured-ends = w = { $w0 }：准确率 { $acc0 }，多样性 { $div0 }，离最近的训练图像 { $near0 } · w = { $w1 }：准确率 { $acc1 }，多样性 { $div1 }，{ $near1 }：更像这个种类，更少变化，离数据的距离更大。

## ⑤ 的实验：两个训练并排
lab-toggle = 对比两个训练（A | B）
lab-toggle-tip = 在同样的数据上、从同样的种子开始的两个训练，各自预测不同的量，同时训练：例如 DDPM 的 ε 与 flow matching。
lab-note-short = 同样的数据、同样的种子、同样的噪声：只有网络预测的量不同（停在这里可看粒子如何画出）。
lab-note = 两个训练抽取同样的数据、第 0 步同样的权重和同样批次的噪声；只有网络预测的量（以及 flow matching 如何把数据和噪声配对）不同。粒子：ε、x₀、v 用遍历线性调度（T = 100）每个 t 的 DDPM，通过换算成 ε̂；flow matching 沿自己的 ODE 走同样的 t（η = 0 的 DDIM），因为有了最优运输配对或 reflow 以后，它的变化率不再是 score。
lab-objective = 预测
lab-objective-tip = ε（DDPM）、x₀、v = a·ε − s·x₀，或 flow matching 在 x_t = (1 − t)x₀ + tε 上的变化率 ε − x₀。每个采样器都通过同一个换算，在同样的噪声大小上得到 x̂₀ 和 ε̂。
lab-objective-eps = ε（DDPM）
lab-objective-x0 = x₀
lab-objective-v = v
lab-objective-flow = flow matching
lab-flow-time = t 的取法
lab-ot = 最优运输配对
lab-ot-tip = 用精确的最优运输方案（总的平方距离最小）把每个批次的数据和噪声配对：路径更直，所以需要的步数更少。精确配对对 n = 256 的批次需要 O(n³)：训练会慢好几倍。
lab-loss = 损失 { $loss }
lab-loss-tip = 这个训练自己要预测的量的均方误差：预测不同的量时不能对比。
lab-swd = SWD { $swd } = 下限 { $floor } 的 { $ratio } 倍
lab-measure = 测量采样器
lab-measure-tip = 每个采样器在 NFE 1、2、4、8、16、32、64 次网络调用下，从同样的 1000 个起点采样，用到数据的 SWD 评分；以及 500 条学到的路径的曲度。训练会等几秒钟。
lab-reflow = Reflow
lab-reflow-tip = 从现在起用模型自己的（噪声，样本）对重新训练（20000 对，Heun 32 步）：路径变直，所以一步就能接近。
lab-before-reflow = Reflow 以前：曲度 { $s }，一步 Euler 的 SWD { $swd }。
lab-straightness = 第 { $step } 步：曲度 S = { $s }（0 = 直线），一步 Euler 的 SWD { $swd }。
lab-straightness-tip = S = E∫‖v‖dt / E‖x₁ − x₀‖ − 1，取 500 条从噪声到样本的路径，在 flow 直线上走 32 步 Euler（对每种预测都与 DDIM 的点相同）。
lab-axis-nfe = 网络调用次数（NFE，对数刻度）
lab-axis-swd = 到数据的 SWD（对数刻度）

## 面板 ②：调用次数的预算
strip-title = 在网络调用次数的预算下的采样器
strip-tip = 同样的 x_T，用一个 ODE 采样器（权重按设置中的 EMA 或未平均）在 NFE 2、4、8、16、32 次网络调用下采样：Euler、Heun（每步调用两次）或 DPM-Solver++(2M)（每步调用一次，用上一步提高精度），在 Karras σ 网格（ρ = 7）上，flow matching 模型则在自己的直线上。以种类为条件的模型按上面的种类和 w 引导。
strip-sampler = 采样器
strip-button = NFE 2 … 32 并排
strip-caption = { $sampler }，同样的 x_T，第 { $step } 步：
settings-objective-tip = 网络学习预测什么：eps（DDPM 的噪声）、x0（干净的图像）、v = a·ε − s·x₀，或 flow（flow matching 在 x_t = (1 − t)x₀ + tε 上的变化率 ε − x₀）。每个采样器都通过同一个换算读取它们。应用后会换成一个新的模型。
settings-model-predicts = 模型预测 { $objective }。
ode-needs-eps = 图像的精确似然只对预测 eps 的模型计算；这个模型预测 { $objective }（一维/二维世界可以换算任何预测）
lab-exact-key = 断开的线：同样的采样器从同样的起点出发，把网络换成混合分布精确的去噪 E[x₀ | x_t]：完美的模型能得到的结果。
lab-score-error = score 的相对误差 E‖s_θ − ∇log p_t‖² / E‖∇log p_t‖²：{ $first }，{ $middle }，{ $last }。
lab-score-error-tip = 通过换算从网络的 ε̂ 得到的 score，与混合分布闭式的 score 对比，每个 t 取 1000 个 x_t（在 1 … T 中取 11 个时间步）。用了最优运输配对或 reflow 以后，flow 模型的 ε̂ 不再是 score，这个误差会显示出来。
