"""The bundled decks: every card keeps its id and its question, `check` is clean, and the
README's table counts what is really there.

A card is its key: an entry's `id`, `id::reverse` for its reverse, `id::cN` for deletion N of
a cloze. Review history hangs on that key, so a key must keep asking the same question. A card
whose wording changes says why in REWORDED; a card that leaves a deck says why in RETIRED.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from flashcards import paths
from flashcards.cli import cli

DECKS = paths.bundled_decks_dir()
README = Path(__file__).resolve().parent.parent / "README.md"

# Anki's syntax, as README's "Decks" section defines it.
DELETION = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.DOTALL)
TRUE = {"true", "yes", "on"}


def one_line(text: str) -> str:
    """Text with its whitespace runs made single spaces: a re-wrapped line asks the same."""
    return " ".join(text.split())


def deck_cards(path: Path) -> tuple[str, dict[str, str]]:
    """A deck file's name and its cards: key -> the question the card asks (its front as the
    review shows it, a cloze with that deletion hidden), read straight from the YAML."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # text stays text
    cards: dict[str, str] = {}
    for entry in doc["cards"]:
        if entry.get("draft", "").lower() in TRUE:
            continue
        ident = entry["id"]
        if "cloze" in entry:
            text = entry["cloze"]
            for number in sorted({int(match[1]) for match in DELETION.finditer(text)}):

                def hide(match: re.Match[str], number: int = number) -> str:
                    answer, _, hint = match[2].partition("::")
                    if int(match[1]) != number:
                        return answer
                    return f"[{hint.strip()}]" if hint.strip() else "[...]"

                cards[f"{ident}::c{number}"] = one_line(DELETION.sub(hide, text))
        else:
            cards[ident] = one_line(entry["front"])
            if entry.get("reverse", "").lower() in TRUE:
                cards[f"{ident}::reverse"] = one_line(entry["back"])
    return doc["deck"], cards


def bundled() -> dict[str, tuple[str, dict[str, str]]]:
    """Every bundled deck file's name -> (deck name, cards)."""
    return {path.name: deck_cards(path) for path in sorted(DECKS.glob("*.yaml"))}


# Every card of the bundled decks before issue 15 (the review of all 374 cards), with the
# question it asked: file -> card key -> question. Taken from `git show 659c5e2:decks/*.yaml`.
# Never edit an entry here: a card that changes goes into REWORDED or RETIRED below.
BEFORE_ISSUE_15: dict[str, dict[str, str]] = {
    "nn-basics.yaml": {
        'softmax-what': 'softmax 做什么？',
        'softmax-formula::c1': 'softmax(z)_i = [...]',
        'softmax-minus-max': '实现 softmax 时为什么先把每个 z_i 减去 max(z)？',
        'sigmoid-formula::c1': 'sigmoid：σ(x) = [...]，值域 (0, 1)',
        'sigmoid-formula::c2': 'sigmoid：σ(x) = 1 / (1 + e^(-x))，值域 [...]',
        'sigmoid-derivative::c1': "sigmoid 的导数 σ'(x) = [...]，最大值只有 0.25（在 x = 0 处）",
        'sigmoid-derivative::c2': "sigmoid 的导数 σ'(x) = σ(x)·(1 − σ(x))，最大值只有 [...]（在 x = 0 处）",
        'softmax-multiclass-output': '互斥的多分类（一张图只能是猫、狗、鸟中的一个），输出层用什么？',
        'sigmoid-multilabel-output': '二分类或多标签分类（一张图可以同时有猫和狗），输出层用什么？',
        'softmax-two-class-is-sigmoid': '只有两个类别时，softmax 和 sigmoid 是什么关系？',
        'forward-pass': '什么是前向传播（forward pass）？',
        'neuron-model::c1': '一个神经元（计算单元）算的是 y = [...]，其中 f 是激活函数',
        'neuron-model::c2': '一个神经元（计算单元）算的是 y = f(w·x + b)，其中 f 是[...]',
        'activation-why-nonlinear': '为什么神经网络需要非线性的激活函数？',
        'relu-formula::c1': 'ReLU(x) = [...]',
        'tanh-props': 'tanh 和 sigmoid 比有什么不同？',
        'loss-function-def': '损失函数（loss function）',
        'loss-function-def::reverse': '衡量模型预测与真实标签差距的一个标量，训练就是把它降到最小',
        'mse-loss::c1': '回归任务常用的损失是均方误差 MSE = [...]',
        'cross-entropy-loss::c1': '分类常用交叉熵损失 L = [...]；标签是 one-hot 时就等于 −log p_正确类',
        'cross-entropy-loss::c2': '分类常用交叉熵损失 L = −Σ y_i · log p_i；标签是 one-hot 时就等于 [...]',
        'gradient-def': '梯度（gradient）',
        'gradient-def::reverse': '损失对每个参数的偏导数组成的向量，指向损失增长最快的方向',
        'backprop-def': '反向传播（backpropagation）',
        'backprop-def::reverse': '用链式法则从输出层向输入层逐层计算损失对每个参数的梯度',
        'gd-update-rule::c1': '梯度下降的更新：w ← [...]，η 叫学习率',
        'gd-update-rule::c2': '梯度下降的更新：w ← w − η · ∂L/∂w，η 叫[...]',
        'lr-too-big-small': '学习率太大或太小分别会怎样？',
        'epoch-def::c1': '1 个 epoch = 把[...]完整过一遍；1 万条数据、batch size 100 时，一个 epoch 有 100 个 step（参数更新次数）',
        'epoch-def::c2': '1 个 epoch = 把整个训练集完整过一遍；1 万条数据、batch size 100 时，一个 epoch 有 [...] 个 step（参数更新次数）',
        'vanishing-gradient-what': '什么是梯度消失？',
        'exploding-gradient-what': '什么是梯度爆炸？有什么症状？',
        'vanishing-root-cause': '梯度消失和梯度爆炸的共同根源是什么？',
        'fix-vanishing-relu::c1': '缓解梯度消失：把 sigmoid/tanh 换成 [...] 类激活函数，因为它正区间的导数恒为 1',
        'fix-vanishing-relu::c2': '缓解梯度消失：把 sigmoid/tanh 换成 ReLU 类激活函数，因为它正区间的导数恒为 [...]',
        'fix-vanishing-residual': '残差连接为什么能缓解梯度消失？',
        'fix-init::c1': '权重初始化：sigmoid/tanh 用 [...] 初始化，ReLU 用 He（Kaiming） 初始化',
        'fix-init::c2': '权重初始化：sigmoid/tanh 用 Xavier（Glorot） 初始化，ReLU 用 [...] 初始化',
        'fix-normalization': 'BatchNorm / LayerNorm 怎样帮助缓解梯度消失和爆炸？',
        'fix-exploding-clipping': '梯度爆炸最直接的对策是什么？',
        'fix-rnn-lstm': 'RNN 处理长序列时梯度消失，结构上怎么改？',
        'computation-graph': '计算图（computation graph）',
        'computation-graph::reverse': '把计算表示成有向无环图：节点是运算，边是张量的数据依赖',
        'computation-graph-use': '计算图在训练中起什么作用？',
        'params-vs-hyperparams': '参数和超参数有什么区别？',
        'gd-variants::c1': '用全部数据算一次梯度叫[...]；每次一个样本叫随机梯度下降 SGD；每次一小批叫小批量（mini-batch）梯度下降',
        'gd-variants::c2': '用全部数据算一次梯度叫批量梯度下降；每次一个样本叫[...]；每次一小批叫小批量（mini-batch）梯度下降',
        'gd-variants::c3': '用全部数据算一次梯度叫批量梯度下降；每次一个样本叫随机梯度下降 SGD；每次一小批叫[...]',
        'momentum': '优化器里的 Momentum（动量）做什么？',
        'adam-states::c1': 'Adam 为每个参数维护两个状态：一阶矩 [...] 和二阶矩 v（梯度平方的滑动平均）',
        'adam-states::c2': 'Adam 为每个参数维护两个状态：一阶矩 m（梯度的滑动平均，即动量） 和二阶矩 [...]',
        'adamw': 'AdamW 和 Adam 的区别？',
        'loss-vs-optimizer-roles': '损失函数和优化器（优化函数）各管什么？',
        'pytorch-train-loop': 'PyTorch 里损失函数和优化器在一个训练步里怎么配合？',
        'pytorch-zero-grad': 'PyTorch 为什么每一步都要 optimizer.zero_grad()？',
        'crossentropy-takes-logits': 'nn.CrossEntropyLoss 的输入需要先做 softmax 吗？',
        'backprop-by-hand-one::c1': '手算：ŷ = w·x，L = (ŷ − y)²，x = 2，w = 3，y = 4。ŷ = 6，L = 4，dL/dw = [...]；学习率 0.1 更新一步后 w = 2.2',
        'backprop-by-hand-one::c2': '手算：ŷ = w·x，L = (ŷ − y)²，x = 2，w = 3，y = 4。ŷ = 6，L = 4，dL/dw = 8；学习率 0.1 更新一步后 w = [...]',
        'backprop-by-hand-two-layer': '手算两层：h = ReLU(w1·x)，ŷ = w2·h，L = (ŷ − y)²；x = 1，w1 = 2，w2 = 3，y = 5。求 dL/dw2 和 dL/dw1。',
        'backprop-check-autograd': '怎样用 PyTorch 验证手算的梯度（ŷ = w·x，x = 2，w = 3，y = 4）？',
        'cnn-def': 'CNN（卷积神经网络）',
        'cnn-def::reverse': '用卷积核在局部滑动、权重共享来提取特征的网络，擅长图像等网格数据',
        'cnn-weight-sharing': 'CNN 的权重共享带来什么好处？',
        'rnn-def::c1': 'RNN 按时间步处理序列，隐藏状态 h_t = [...]',
        'rnn-weakness': '普通 RNN 的两个主要缺点？',
        'lstm-gates::c1': 'LSTM 的三个门：[...]（丢掉多少旧记忆）、输入门（写入多少新信息）、输出门（输出多少）',
        'lstm-gates::c2': 'LSTM 的三个门：遗忘门（丢掉多少旧记忆）、[...]（写入多少新信息）、输出门（输出多少）',
        'lstm-gates::c3': 'LSTM 的三个门：遗忘门（丢掉多少旧记忆）、输入门（写入多少新信息）、[...]（输出多少）',
        'nn-module': 'PyTorch 里自定义一个网络要继承哪个类、实现哪个方法？',
        'feature-engineering-def': '特征工程（feature engineering）',
        'feature-engineering-def::reverse': '从原始数据中构造、选择、变换出对模型有用的输入特征',
        'feature-engineering-examples': '举三个常见的特征工程操作。',
        'feature-engineering-dl': '深度学习和传统机器学习对特征工程的依赖有什么不同？',
    },
    "llm-basics.yaml": {
        'pretraining-def': '预训练（pre-training）',
        'pretraining-def::reverse': '在海量无标注文本上做“预测下一个 token”的自监督训练，得到基座模型',
        'finetuning-def': '微调（fine-tuning）',
        'finetuning-def::reverse': '在预训练模型基础上，用较少的任务或领域数据继续训练，使它适应特定任务',
        'alignment-def': '对齐（alignment）',
        'alignment-def::reverse': '让模型的输出符合人类意图和价值观（有用、诚实、无害），常用 RLHF、DPO',
        'training-stages-order::c1': '大模型训练的典型顺序：[...] → 监督微调 SFT → 对齐（RLHF / DPO）',
        'training-stages-order::c2': '大模型训练的典型顺序：预训练 → [...] → 对齐（RLHF / DPO）',
        'training-stages-order::c3': '大模型训练的典型顺序：预训练 → 监督微调 SFT → [...]',
        'rlhf-steps::c1': 'RLHF 三步：SFT → 用人类偏好排序训练[...] → 用 PPO 强化学习优化模型',
        'rlhf-steps::c2': 'RLHF 三步：SFT → 用人类偏好排序训练奖励模型（reward model） → 用 [...] 强化学习优化模型',
        'dpo-vs-rlhf': 'DPO 相比 RLHF 省掉了什么？',
        'rag-def': 'RAG（Retrieval-Augmented Generation，检索增强生成）',
        'rag-def::reverse': '先从外部知识库检索相关文档，拼进提示词，再让大模型据此生成回答',
        'rag-pipeline::c1': 'RAG 流程：文档切块 → 用 [...]转成向量存入向量数据库 → 问题也转成向量检索 top-k → 拼进 prompt 生成',
        'rag-pipeline::c2': 'RAG 流程：文档切块 → 用 embedding 模型转成向量存入[...] → 问题也转成向量检索 top-k → 拼进 prompt 生成',
        'rag-vs-finetune': '什么时候选 RAG，什么时候选微调？',
        'autoregressive-def': '自回归生成（autoregressive decoding）',
        'autoregressive-def::reverse': '每次根据已有的全部 token 预测下一个 token，把它接到末尾再预测，直到结束符',
        'prefill-decode::c1': 'LLM 推理分两个阶段：[...]（并行处理整个 prompt，建好 KV Cache）和 decode（逐个生成新 token，只能串行）',
        'prefill-decode::c2': 'LLM 推理分两个阶段：prefill（并行处理整个 prompt，建好 KV Cache）和 [...]（逐个生成新 token，只能串行）',
        'sampling-temperature': '生成时的 temperature 参数起什么作用？',
        'encoder-def': 'Transformer 的 encoder（编码器）有什么特点，适合什么任务？',
        'decoder-def': 'Transformer 的 decoder（解码器）有什么特点，适合什么任务？',
        'encoder-decoder-def': 'encoder-decoder（编解码器）结构怎么工作，适合什么任务？',
        'arch-examples::c1': 'BERT 是 [...]，GPT / Llama 是 decoder-only，T5 是 encoder-decoder',
        'arch-examples::c2': 'BERT 是 encoder-only，GPT / Llama 是 [...]，T5 是 encoder-decoder',
        'arch-examples::c3': 'BERT 是 encoder-only，GPT / Llama 是 decoder-only，T5 是 [...]',
        'causal-mask': 'decoder 的因果掩码（causal mask）怎么实现“只看左边”？',
        'decoder-only-why-objective': 'decoder-only 成为大模型主流，从训练目标看为什么？',
        'decoder-only-why-rank': '关于 decoder-only 效果好，“注意力矩阵满秩”的解释是什么？',
        'decoder-only-why-engineering': 'decoder-only 在工程上有什么优势？',
        'transformer-paper::c1': 'Transformer 出自 [...] 年 Google 的论文《Attention Is All You Need》',
        'transformer-paper::c2': 'Transformer 出自 2017 年 Google 的论文《[...]》',
        'transformer-block::c1': '一个 Transformer 层 = [...] + 前馈网络 FFN，每个子层都带残差连接和 LayerNorm',
        'transformer-block::c2': '一个 Transformer 层 = （多头）自注意力 + [...]，每个子层都带残差连接和 LayerNorm',
        'attention-formula::c1': 'Attention(Q, K, V) = [...]',
        'self-attention-qkv': '自注意力里的 Q、K、V 从哪来？“自”指什么？',
        'attention-sqrt-dk': '注意力分数为什么要除以 √d_k？',
        'multi-head-attention': '多头注意力（multi-head attention）的作用？',
        'positional-encoding': 'Transformer 为什么需要位置编码？',
        'attention-complexity::c1': '自注意力的计算量和显存随序列长度 n 按 [...] 增长',
        'transformer-vs-rnn': 'Transformer 为什么取代了 RNN/LSTM？',
        'tokenizer-def': 'Tokenizer（分词器）',
        'tokenizer-def::reverse': '把文本切成 token 并映射成整数 id（也能把 id 解码回文本）的组件，规则和词表固定',
        'bpe': 'BPE（Byte Pair Encoding）分词怎么得到词表？',
        'subword-why': '为什么 LLM 用子词（subword）分词，而不是按整词或单字？',
        'chat-template-def': '对话模板（chat template）是什么，用错会怎样？',
        'chat-template-code': '用 transformers 怎样按模型自己的模板拼对话？',
        'model-selection-hardware': 'LLM 技术选型时，硬件先决定了什么？',
        'model-selection-other': 'LLM 技术选型，除了评测分数还要看哪三点？',
        'context-length-def': '上下文长度（context length）',
        'context-length-def::reverse': '模型一次能处理的最大 token 数，输入和输出一起算',
        'llama31-context::c1': 'Llama 3.1 的上下文长度是 [...] token（Llama 3 最初只有 8k）',
        'llama31-context::c2': 'Llama 3.1 的上下文长度是 128k token（Llama 3 最初只有 [...]）',
        'llama31-sizes::c1': 'Llama 3.1（Meta，2024 年 7 月）有三个尺寸：[...]、70B、405B',
        'llama31-sizes::c2': 'Llama 3.1（Meta，2024 年 7 月）有三个尺寸：8B、[...]、405B',
        'llama31-sizes::c3': 'Llama 3.1（Meta，2024 年 7 月）有三个尺寸：8B、70B、[...]',
        'llama3-two-128k': 'Llama 3 里有两个“128k”，分别是什么？',
        'mllm-names::c1': 'MLLM = [...]，LMM = Large Multimodal Model，都指多模态大模型',
        'mllm-names::c2': 'MLLM = Multimodal Large Language Model，LMM = [...]，都指多模态大模型',
        'mllm-structure::c1': '典型 MLLM 结构：[...]（如 CLIP/ViT 视觉编码器）→ 连接器/投影层（把特征映射到 LLM 的词向量空间）→ LLM',
        'mllm-structure::c2': '典型 MLLM 结构：模态编码器（如 CLIP/ViT 视觉编码器）→ [...]（把特征映射到 LLM 的词向量空间）→ LLM',
        'mllm-structure::c3': '典型 MLLM 结构：模态编码器（如 CLIP/ViT 视觉编码器）→ 连接器/投影层（把特征映射到 LLM 的词向量空间）→ [...]',
        'knowledge-density-def': '知识密度（能力密度）',
        'knowledge-density-def::reverse': '模型能力 ÷ 参数量：达到同样能力所需的参数越少，密度越高',
        'knowledge-density-trend': '知识密度这个概念说明了什么趋势？',
        'tokenizer-vs-embedding-model': 'embedding 模型和 LLM 的 tokenizer 分词是同一个功能吗？LLM 分词后直接返回的就是 embedding 吗？',
        'llm-embedding-layer': 'LLM 内部的 embedding 层是什么？',
        'llama3-embedding-shape::c1': 'Llama 3 8B 的 embedding 层是一个 [...] 的矩阵（词表大小 × 隐藏维度）',
        'embedding-model-def': '向量表征模型（embedding 模型）',
        'embedding-model-def::reverse': '把一整段文本编码成一个固定长度向量的模型，用于语义检索、相似度、聚类、RAG',
        'embedding-model-how': '一个 embedding 模型（如 BGE）怎样从 token 得到一个句向量？',
        'embedding-similarity::c1': '比较两个 embedding 向量最常用 [...]：cos = a·b / (‖a‖·‖b‖)',
        'embedding-similarity::c2': '比较两个 embedding 向量最常用 余弦相似度：cos = [...]',
        'kv-cache-def': '什么是 KV Cache？',
        'kv-cache-why-not-q': 'KV Cache 为什么只缓存 K 和 V，不缓存 Q？',
        'kv-cache-size::c1': 'KV Cache 字节数 = [...]',
        'kv-cache-llama-8b::c1': 'Llama 3.1 8B（32 层、8 个 KV 头、head_dim 128、fp16）每个 token 的 KV Cache 约 [...]，128k 上下文约 16 GB',
        'kv-cache-llama-8b::c2': 'Llama 3.1 8B（32 层、8 个 KV 头、head_dim 128、fp16）每个 token 的 KV Cache 约 128 KB，128k 上下文约 [...]',
        'gqa': 'GQA（分组查询注意力）怎样减小 KV Cache？',
        'beam-search-def': '什么是 beam search？',
        'beam-vs-greedy::c1': 'beam width = [...] 的 beam search 就是贪心解码（greedy）',
        'beam-vs-sampling': '为什么聊天 LLM 很少用 beam search？',
        'beam-and-kv-cache': 'beam search 和 KV Cache 一起用时要注意什么？',
    },
    "finetune-efficiency.yaml": {
        'sft-def': 'SFT（Supervised Fine-Tuning，监督微调）',
        'sft-def::reverse': '用“指令/输入 → 期望回答”的配对数据，按预测下一个 token 继续训练模型',
        'sft-loss-mask::c1': 'SFT 时通常只对回答部分算 loss：prompt 部分 token 的 label 设为 [...]（PyTorch 交叉熵默认的 ignore_index）',
        'full-vs-peft': '全量微调和参数高效微调（PEFT）的区别？',
        'peft-where-params::c1': '各方法训练哪些参数：LoRA 训练[...]；P-tuning 训练输入端的虚拟 token 向量；Freeze 训练解冻的部分原有层',
        'peft-where-params::c2': '各方法训练哪些参数：LoRA 训练新增的旁路低秩矩阵 A、B；P-tuning 训练[...]；Freeze 训练解冻的部分原有层',
        'peft-where-params::c3': '各方法训练哪些参数：LoRA 训练新增的旁路低秩矩阵 A、B；P-tuning 训练输入端的虚拟 token 向量；Freeze 训练[...]',
        'lora-def': 'LoRA 的核心做法是什么？',
        'lora-shapes::c1': 'LoRA 把 d×k 的权重增量分解为 ΔW = [...]，r 叫秩（rank），常取 8、16、64',
        'lora-shapes::c2': 'LoRA 把 d×k 的权重增量分解为 ΔW = B（d×r）· A（r×k），r 叫[...]，常取 8、16、64',
        'lora-param-count::c1': '一个 4096×4096 的矩阵加 r = 8 的 LoRA，可训练参数为 8 ×（4096 + 4096）= [...]，约原矩阵的 0.4%',
        'lora-param-count::c2': '一个 4096×4096 的矩阵加 r = 8 的 LoRA，可训练参数为 8 ×（4096 + 4096）= 65 536，约原矩阵的 [...]',
        'lora-init::c1': 'LoRA 初始化时 A 随机、B = [...]，所以训练开始时 ΔW = 0，模型和原模型完全一样',
        'lora-merge': 'LoRA 训练完，推理时会变慢吗？',
        'qlora': 'QLoRA 是什么？',
        'lora-peft-code': '用 Hugging Face peft 给模型加 LoRA 的最小代码？',
        'p-tuning-def': 'P-tuning（基于提示词的调优）怎么做？',
        'soft-vs-hard-prompt': '“软提示”（soft prompt）和普通提示词有什么不同？',
        'p-tuning-v2': 'P-tuning v2 比 P-tuning 改进了什么？',
        'freeze-def': 'Freeze 微调是什么？',
        'freeze-code': 'PyTorch 里怎样实现 Freeze 微调（只训练最后两层）？',
        'bytes-per-param::c1': '每个参数占多少字节：fp32 [...]，fp16 / bf16 2，int8 1，int4 0.5',
        'bytes-per-param::c2': '每个参数占多少字节：fp32 4，fp16 / bf16 [...]，int8 1，int4 0.5',
        'bytes-per-param::c3': '每个参数占多少字节：fp32 4，fp16 / bf16 2，int8 [...]，int4 0.5',
        'bytes-per-param::c4': '每个参数占多少字节：fp32 4，fp16 / bf16 2，int8 1，int4 [...]',
        'mem-rule-infer::c1': 'fp16 推理，权重显存 ≈ 参数量（B）× [...] GB',
        'mem-1b-infer::c1': '1B 参数的模型 fp16 推理约需 [...] 显存',
        'mem-8b-infer::c1': '8B 参数的模型 fp16 推理约需 [...] 显存',
        'mem-1b-lora::c1': '按笔记的经验值，1B 模型 LoRA 微调约需 [...] 显存（参数量 × 2.3）',
        'mem-8b-lora::c1': '按笔记的经验值，8B 模型 LoRA 微调约需 [...] 显存',
        'mem-1b-full::c1': '按笔记的算法，1B 模型全量微调约需 [...] 显存（参数量 × 12）',
        'mem-full-12-breakdown': '笔记里 1B 全量微调的 12 GB 由哪三部分组成？',
        'mem-8b-full::c1': '按笔记的算法（每参数 12 字节），8B 模型全量微调约需 [...] 显存',
        'adam-state-bytes::c1': 'Adam 为每个参数保存 m 和 v 两个 fp32 状态，共 [...] 字节/参数',
        'mem-mixed-precision-16::c1': '混合精度 + Adam 全量训练，每个参数约需 [...] 字节（还不含激活）',
        'mem-8b-full-realistic::c1': '按混合精度 Adam 每参数 16 字节算，8B 模型全量微调约需 [...]，再加激活',
        'master-weights-why': '混合精度训练为什么还要保留一份 fp32 的主权重（master weights）？',
        'activation-memory': '除了权重、梯度、优化器状态，训练显存还有哪一大块？怎么省？',
        'zero-sharding': 'DeepSpeed ZeRO 怎样降低全量微调的单卡显存？',
        'distillation-def': '知识蒸馏（knowledge distillation）',
        'distillation-def::reverse': '用大模型（teacher）的输出来训练小模型（student），让小模型接近大模型的效果',
        'distillation-soft-labels': '蒸馏为什么用 teacher 的软标签（概率分布）而不只用 one-hot 标签？',
        'distillation-temperature::c1': '蒸馏时用温度 T 软化分布：p = softmax([...])，T > 1 时分布更平滑，小概率类的信息更明显',
        'distillation-temperature::c2': '蒸馏时用温度 T 软化分布：p = softmax(z / T)，T [...] 时分布更平滑，小概率类的信息更明显',
        'distillation-llm-data': '大模型时代最常见的蒸馏方式是什么？',
        'quantization-def': '量化（quantization）',
        'quantization-def::reverse': '用更少的比特（如 int8、int4）表示权重或激活，减少显存和带宽、加速推理，代价是少量精度损失',
        'quantization-formula::c1': '对称 int8 量化：缩放因子 s = [...]，q = round(x / s)，反量化 x ≈ q · s',
        'quantization-formula::c2': '对称 int8 量化：缩放因子 s = max|x| / 127，q = [...]，反量化 x ≈ q · s',
        'ptq-vs-qat': 'PTQ 和 QAT 的区别？',
        'llm-quant-methods::c1': '常见的大模型 4-bit 权重量化方法：[...]、AWQ；llama.cpp 用的量化文件格式是 GGUF',
        'llm-quant-methods::c2': '常见的大模型 4-bit 权重量化方法：GPTQ、[...]；llama.cpp 用的量化文件格式是 GGUF',
        'llm-quant-methods::c3': '常见的大模型 4-bit 权重量化方法：GPTQ、AWQ；llama.cpp 用的量化文件格式是 [...]',
        'mem-8b-int4::c1': '8B 模型量化到 int4，权重约需 [...]',
        'distill-vs-quant': '蒸馏和量化有什么根本区别？',
    },
    "prompting-agents.yaml": {
        'prompt-engineering-def': 'prompt 工程（prompt engineering）',
        'prompt-engineering-def::reverse': '不改模型权重，靠设计输入（指令、示例、格式、推理引导）来提升输出质量',
        'cot-def': '思维链 CoT（Chain of Thought）',
        'cot-def::reverse': '让模型先一步步写出推理过程，再给出最终答案的提示方法',
        'cot-zero-shot::c1': 'Zero-shot CoT 只要在问题后面加一句 [...]',
        'cot-self-consistency': 'Self-Consistency（自洽性）怎样改进 CoT？',
        'tot-def': '思维树 ToT（Tree of Thoughts）怎么推理？',
        'got-name::c1': 'GoT 的全称是 [...]（思维图）',
        'got-def': '思维图 GoT 比思维树 ToT 多了什么能力？',
        'cot-tot-got-shapes::c1': 'CoT、ToT、GoT 的推理结构分别是[...]、树、图',
        'cot-tot-got-shapes::c2': 'CoT、ToT、GoT 的推理结构分别是链、[...]、图',
        'cot-tot-got-shapes::c3': 'CoT、ToT、GoT 的推理结构分别是链、树、[...]',
        'cumulative-reasoning::c1': '累积推理（Cumulative Reasoning）有三个角色：[...] 提出新命题，verifier 验证它，reporter 判断何时给出答案',
        'cumulative-reasoning::c2': '累积推理（Cumulative Reasoning）有三个角色：proposer 提出新命题，[...] 验证它，reporter 判断何时给出答案',
        'cumulative-reasoning::c3': '累积推理（Cumulative Reasoning）有三个角色：proposer 提出新命题，verifier 验证它，[...] 判断何时给出答案',
        'react-name::c1': 'ReAct 的论文标题是 [...] in Language Models',
        'react-loop::c1': 'ReAct 的循环：[...]（推理下一步）→ Action（调用工具）→ Observation（工具返回结果）→ 再 Thought……',
        'react-loop::c2': 'ReAct 的循环：Thought（推理下一步）→ [...]（调用工具）→ Observation（工具返回结果）→ 再 Thought……',
        'react-loop::c3': 'ReAct 的循环：Thought（推理下一步）→ Action（调用工具）→ [...]（工具返回结果）→ 再 Thought……',
        'reflexion-def': 'Reflexion 怎样让 agent 从失败中改进？',
        'react-vs-reflexion': 'ReAct 和 Reflexion 的区别？',
        'agent-components::c1': 'AI Agent = 大模型（核心驱动）+ [...] + 记忆 Memory + 工具使用 Tool Use',
        'agent-components::c2': 'AI Agent = 大模型（核心驱动）+ 规划 Planning + [...] + 工具使用 Tool Use',
        'agent-components::c3': 'AI Agent = 大模型（核心驱动）+ 规划 Planning + 记忆 Memory + [...]',
        'agent-planning': 'Agent 的“规划”（Planning）包括什么？',
        'agent-memory': 'Agent 的短期记忆和长期记忆分别是什么？',
        'agent-tool-use': 'Agent 的“工具使用”一般怎样实现？',
        'single-agent-frameworks::c1': '单智能体框架的代表：[...]、BabyAGI',
        'single-agent-frameworks::c2': '单智能体框架的代表：AutoGPT、[...]',
        'multi-agent-frameworks::c1': '多智能体开源框架：[...]、XAgent、AutoAgents',
        'multi-agent-frameworks::c2': '多智能体开源框架：AutoGen、[...]、AutoAgents',
        'multi-agent-frameworks::c3': '多智能体开源框架：AutoGen、XAgent、[...]',
        'autogpt': 'AutoGPT 是怎么工作的？',
        'babyagi': 'BabyAGI 的核心循环是什么？',
        'autogen': 'AutoGen（微软）的核心思路？',
        'xagent': 'XAgent（清华 / 面壁智能）的“双环”是什么？',
        'autoagents': 'AutoAgents 和固定角色的多智能体框架有什么不同？',
        'single-vs-multi-agent': '单智能体和多智能体的区别？',
    },
    "ml-engineering.yaml": {
        'ml-dl-nn-relation': '机器学习、深度学习（DL）、神经网络（NN）是什么关系？',
        'rl-def': '强化学习（RL）',
        'rl-def::reverse': '智能体与环境交互，根据奖励信号学习策略、最大化累积回报的学习方式，不需要标注答案',
        'rl-elements::c1': 'RL 的基本要素：智能体、环境、状态、[...]、奖励 reward、策略 policy',
        'rl-elements::c2': 'RL 的基本要素：智能体、环境、状态、动作 action、[...]、策略 policy',
        'rl-elements::c3': 'RL 的基本要素：智能体、环境、状态、动作 action、奖励 reward、[...]',
        'rl-vs-dl': 'RL 和 DL 是并列的吗？',
        'nlp-evolution::c1': 'NLP 模型的演进：[...] → Transformer（核心是 self-attention）→ 预训练大模型（BERT、GPT）',
        'nlp-evolution::c2': 'NLP 模型的演进：RNN / LSTM → [...]（核心是 self-attention）→ 预训练大模型（BERT、GPT）',
        'nlp-evolution::c3': 'NLP 模型的演进：RNN / LSTM → Transformer（核心是 [...]）→ 预训练大模型（BERT、GPT）',
        'kaggle-def': 'Kaggle',
        'kaggle-def::reverse': 'Google 旗下的数据科学竞赛平台，提供数据集、带免费 GPU 的 Notebook 和排行榜',
        'huggingface-def': 'Hugging Face',
        'huggingface-def::reverse': '托管模型和数据集的平台（Hub），并维护 transformers、datasets、peft 等开源库',
        'huggingface-load-code': '用 transformers 从 Hugging Face 加载一个对话模型的最小代码？',
        'pytorch-role': '笔记说“pytorch 训练引擎”，PyTorch 提供了训练所需的哪几样东西？',
        'pytorch-autograd::c1': 'PyTorch 里调用 loss.[...] 计算梯度，结果存在每个参数的 .grad 属性里',
        'pytorch-autograd::c2': 'PyTorch 里调用 loss.backward() 计算梯度，结果存在每个参数的 [...] 属性里',
        'ray-def': 'Ray',
        'ray-def::reverse': '通用的 Python 分布式计算引擎：把函数和类变成集群上的远程任务和 actor',
        'ray-code': 'Ray 怎样把一个普通函数变成分布式任务？',
        'ray-libraries::c1': 'Ray 的上层库：分布式训练 [...]，超参搜索 Ray Tune，模型服务 Ray Serve',
        'ray-libraries::c2': 'Ray 的上层库：分布式训练 Ray Train，超参搜索 [...]，模型服务 Ray Serve',
        'ray-libraries::c3': 'Ray 的上层库：分布式训练 Ray Train，超参搜索 Ray Tune，模型服务 [...]',
        'pytorch-vs-ray': '大模型训练里 PyTorch 和 Ray 怎么分工？',
        'hetero-gpu-def': '异构显卡训练平台',
        'hetero-gpu-def::reverse': '在同一个集群里混用不同型号或厂商的加速卡（如不同代 NVIDIA GPU、国产 NPU）来训练',
        'hetero-gpu-hard': '异构显卡训练的主要难点？',
        'gpu-vs-npu': '推理加速用的 GPU 和 NPU 有什么区别？',
        'ascend-stack::c1': '华为昇腾 NPU 的软件栈叫 [...]（地位相当于 CUDA），PyTorch 通过 torch_npu 插件使用它',
        'ascend-stack::c2': '华为昇腾 NPU 的软件栈叫 CANN（地位相当于 CUDA），PyTorch 通过 [...] 插件使用它',
        'cuda-def': 'CUDA',
        'cuda-def::reverse': 'NVIDIA 的通用 GPU 并行计算平台和编程模型，训练和推理都建在它之上',
        'cuda-libs::c1': 'CUDA 上的常用库：深度学习算子库 [...]，矩阵运算库 cuBLAS，多卡通信库 NCCL',
        'cuda-libs::c2': 'CUDA 上的常用库：深度学习算子库 cuDNN，矩阵运算库 [...]，多卡通信库 NCCL',
        'cuda-libs::c3': 'CUDA 上的常用库：深度学习算子库 cuDNN，矩阵运算库 cuBLAS，多卡通信库 [...]',
        'tensorrt-def': 'TensorRT',
        'tensorrt-def::reverse': 'NVIDIA 的推理优化器和运行时：把训练好的模型编译成针对某块 GPU 优化的 engine，只做推理',
        'tensorrt-optimizations': 'TensorRT 主要做了哪些优化？',
        'cuda-vs-tensorrt': 'CUDA 和 TensorRT 是什么关系？',
        'tensorrt-flow::c1': '常见的 TensorRT 部署流程：PyTorch 模型 → 导出 [...] → 编译成 TensorRT engine',
        'tensorrt-flow::c2': '常见的 TensorRT 部署流程：PyTorch 模型 → 导出 ONNX → 编译成 TensorRT [...]',
        'xgboost-def': 'XGBoost',
        'xgboost-def::reverse': '梯度提升决策树（GBDT）库：一棵接一棵地加树，每棵拟合前面模型的残差（梯度）',
        'sklearn-def': 'scikit-learn',
        'sklearn-def::reverse': '经典机器学习工具箱：统一的 fit/predict 接口，含线性模型、SVM、随机森林、聚类、预处理和交叉验证',
        'xgb-torch-sklearn-when': 'xgboost、PyTorch、scikit-learn 各自适合什么场景？',
        'xgboost-with-sklearn': 'XGBoost 和 scikit-learn 怎样一起用？',
        'backbone-def': 'backbone（主干网络）',
        'backbone-def::reverse': '模型中负责提取通用特征的主体部分（如 ResNet、ViT、BERT），通常加载预训练权重',
        'backbone-neck-head::c1': '目标检测模型的三段结构：[...]（提取特征）→ neck（如 FPN，融合多尺度特征）→ head（输出具体任务结果）',
        'backbone-neck-head::c2': '目标检测模型的三段结构：backbone（提取特征）→ [...]（如 FPN，融合多尺度特征）→ head（输出具体任务结果）',
        'backbone-neck-head::c3': '目标检测模型的三段结构：backbone（提取特征）→ neck（如 FPN，融合多尺度特征）→ [...]（输出具体任务结果）',
        'backbone-llm': '在大模型语境里说“换 backbone”是什么意思？',
        'resnet-def': 'ResNet（残差网络）',
        'resnet-def::reverse': '用残差块 y = F(x) + x 堆成的深层 CNN，让上百层的网络能训练（何恺明等，2015）',
        'resnet-formula::c1': '残差连接：y = [...]，网络层只需要学习残差 F(x) = H(x) − x',
        'resnet-formula::c2': '残差连接：y = F(x) + x，网络层只需要学习残差 F(x) = [...]',
        'resnet-degradation': 'ResNet 要解决的“退化问题”是什么？',
        'resnet-facts::c1': 'ResNet 赢得了 ImageNet [...] 年的比赛，最深的版本有 152 层',
        'resnet-facts::c2': 'ResNet 赢得了 ImageNet 2015 年的比赛，最深的版本有 [...] 层',
        'grpc-stream-kinds::c1': 'gRPC 的四种调用方式：一元（unary）、[...]、客户端流 client-streaming、双向流 bidirectional',
        'grpc-stream-kinds::c2': 'gRPC 的四种调用方式：一元（unary）、服务端流 server-streaming、[...]、双向流 bidirectional',
        'grpc-stream-kinds::c3': 'gRPC 的四种调用方式：一元（unary）、服务端流 server-streaming、客户端流 client-streaming、[...]',
        'grpc-proto-stream': '在 .proto 里怎样声明流式方法？',
        'grpc-py-server-streaming': 'grpcio 里服务端流方法怎么写？',
        'grpc-py-client-receive': 'grpcio 客户端怎样接收服务端流？',
        'grpc-py-client-streaming': 'grpcio 里客户端流（客户端连续发送）怎么写？',
        'grpc-py-bidi': 'grpcio 里双向流的服务端方法长什么样？',
        'grpc-http2-stream': 'gRPC 流式的底层原理是什么？',
        'grpc-message-framing::c1': 'gRPC 在 HTTP/2 DATA 帧里给每条 protobuf 消息加 [...] 字节前缀：1 字节是否压缩标志 + 4 字节消息长度',
        'grpc-message-framing::c2': 'gRPC 在 HTTP/2 DATA 帧里给每条 protobuf 消息加 5 字节前缀：1 字节[...]标志 + 4 字节消息长度',
        'grpc-message-framing::c3': 'gRPC 在 HTTP/2 DATA 帧里给每条 protobuf 消息加 5 字节前缀：1 字节是否压缩标志 + 4 字节[...]',
        'grpc-trailers': 'gRPC 流结束时，调用结果（成功或错误码）放在哪里？',
        'grpc-multiplex-flow-control': 'HTTP/2 的哪两个机制让 gRPC 流式好用？',
        'grpc-cancel': '用户中途停止生成时，gRPC 流怎样取消？',
        'grpc-why-llm': '为什么大模型推理服务常用 gRPC 流式（笔记“流式 grpc”）？',
        'sofa-what': 'SOFA 是什么？',
        'sofa-components::c1': 'SOFAStack 组件：[...] 是基于 Spring Boot 的研发框架，SOFARPC 是 RPC 框架，SOFARegistry 是服务注册中心，MOSN 是 Go 写的网络代理（Service Mesh 数据面）',
        'sofa-components::c2': 'SOFAStack 组件：SOFABoot 是基于 Spring Boot 的研发框架，[...] 是 RPC 框架，SOFARegistry 是服务注册中心，MOSN 是 Go 写的网络代理（Service Mesh 数据面）',
        'sofa-components::c3': 'SOFAStack 组件：SOFABoot 是基于 Spring Boot 的研发框架，SOFARPC 是 RPC 框架，[...] 是服务注册中心，MOSN 是 Go 写的网络代理（Service Mesh 数据面）',
        'sofa-components::c4': 'SOFAStack 组件：SOFABoot 是基于 Spring Boot 的研发框架，SOFARPC 是 RPC 框架，SOFARegistry 是服务注册中心，[...] 是 Go 写的网络代理（Service Mesh 数据面）',
    },
    "java-spring-linux.yaml": {
        'db-base-columns::c1': '每张业务表的五个基础字段：[...]、created_time、updated_time、created_by、updated_by',
        'db-base-columns::c2': '每张业务表的五个基础字段：id、[...]、updated_time、created_by、updated_by',
        'db-base-columns::c3': '每张业务表的五个基础字段：id、created_time、[...]、created_by、updated_by',
        'db-base-columns::c4': '每张业务表的五个基础字段：id、created_time、updated_time、[...]、updated_by',
        'db-base-columns::c5': '每张业务表的五个基础字段：id、created_time、updated_time、created_by、[...]',
        'db-base-columns-why': '为什么每张表都要加这五个基础字段？',
        'db-id': '基础字段 id 一般怎么设计？',
        'db-updated-time-sync': 'updated_time 除了审计，还能用来做什么？',
        'db-created-by': 'created_by / updated_by 通常由谁来填？',
        'db-base-columns-ddl': 'MySQL 里让数据库自动维护 created_time 和 updated_time 的写法？',
        'multipartfile-def': 'Spring 的 MultipartFile 是什么？',
        'multipartfile-methods::c1': 'MultipartFile 常用方法：原始文件名 [...]，字节数 getSize()，保存到磁盘 transferTo(...)',
        'multipartfile-methods::c2': 'MultipartFile 常用方法：原始文件名 getOriginalFilename()，字节数 [...]，保存到磁盘 transferTo(...)',
        'multipartfile-methods::c3': 'MultipartFile 常用方法：原始文件名 getOriginalFilename()，字节数 getSize()，保存到磁盘 [...]',
        'multipartfile-upload-code': '一个接收单文件上传并保存的 Spring 接口怎么写？',
        'multipartfile-filename-risk': '直接用 getOriginalFilename() 拼保存路径有什么风险？',
        'multipart-max-file-size::c1': 'Spring Boot 2+ 单个上传文件的大小上限是 spring.servlet.multipart.[...]，默认 1MB',
        'multipart-max-file-size::c2': 'Spring Boot 2+ 单个上传文件的大小上限是 spring.servlet.multipart.max-file-size，默认 [...]',
        'multipart-max-request-size::c1': 'Spring Boot 2+ 整个 multipart 请求的大小上限是 spring.servlet.multipart.[...]，默认 10MB',
        'multipart-max-request-size::c2': 'Spring Boot 2+ 整个 multipart 请求的大小上限是 spring.servlet.multipart.max-request-size，默认 [...]',
        'multipart-config-code': '把上传限制改为单文件 50MB、整个请求 100MB，application.properties 怎么写？',
        'multipart-exceeded-exception::c1': '上传超过大小限制时，Spring 抛出 [...]',
        'multipart-boot1-prefix::c1': '上传大小属性的前缀：Spring Boot 1.4–1.5 是 [...]，2.0 起改为 spring.servlet.multipart',
        'multipart-boot1-prefix::c2': '上传大小属性的前缀：Spring Boot 1.4–1.5 是 spring.http.multipart，2.0 起改为 [...]',
        'requestparam-date-error': '@RequestParam LocalDate date 接收 2024-01-31 为什么可能报类型转换错误？',
        'requestparam-date-annotation': '怎样让单个 @RequestParam 按 yyyy-MM-dd 绑定成 LocalDate？',
        'requestparam-date-global::c1': 'Spring Boot 2.3+ 全局设置请求参数的日期格式：[...]=yyyy-MM-dd（日期时间用 spring.mvc.format.date-time）',
        'datetimeformat-vs-jsonformat': '@DateTimeFormat 和 @JsonFormat 分别管什么？',
        'ldt-why-t': 'Spring Boot 返回的 LocalDateTime 为什么是 2024-01-31T10:15:30 这种带 T 的格式？',
        'ldt-jsonformat-code': '让 DO 里的 LocalDateTime 字段序列化成 2024-01-31 10:15:30（不带 T）？',
        'jsonformat-timezone': '@JsonFormat 的 timezone = "GMT+8" 什么时候需要？',
        'ldt-global-format': '不想每个字段都加 @JsonFormat，怎样全局让 LocalDateTime 不带 T？',
        'do-meaning': '笔记标题“DO LocalDataTime”里的 DO 指什么？',
        'kernel-vs-distro': 'Linux 的“内核版本”和“发行版版本”有什么区别？',
        'uname-r::c1': '只看内核版本号（如 5.15.0-91-generic）的命令：[...]',
        'uname-a': 'uname -a 输出什么？',
        'proc-version': 'cat /proc/version 能看到什么？',
        'os-release::c1': '几乎所有现代发行版通用的查看发行版版本的命令：[...]',
        'lsb-release': 'lsb_release -a 看什么？有什么前提？',
        'redhat-release::c1': 'RHEL / CentOS / Rocky 系查看发行版版本：[...]',
        'hostnamectl': '哪个 systemd 命令能同时看到发行版和内核版本？',
    },
}

# Cards whose question reads differently now but asks the same thing, and why.
REWORDED: dict[str, str] = {
    # java-spring-linux.yaml
    "db-base-columns-ddl": "narrowed from a whole CREATE TABLE to the fact the card was for, "
    "ON UPDATE CURRENT_TIMESTAMP on updated_time; created_time's default is "
    "db-created-time-default",
    "ldt-global-format": "says which versions its answer is for (Spring Boot 2.x/3.x, Jackson 2); "
    "Spring Boot 4 is ldt-global-format-boot4",
    # nn-basics.yaml
    "sigmoid-multilabel-output": "asks only about multi-label classification, as its id says; "
    "binary classification, which it mixed in, is sigmoid-binary-output",
    # llm-basics.yaml
    "attention-complexity::c1": "says 'the standard implementation': FlashAttention computes "
    "the same attention without the O(n²) memory (flashattention-exact, flashattention-memory)",
    # finetune-efficiency.yaml
    "mem-8b-int4::c1": "says 'the theoretical floor': real 4-bit files are 4.6-5.7 GB "
    "(mem-8b-int4-real)",
    # ml-engineering.yaml
    "xgboost-def::reverse": "its text (XGBoost's description) says first and second derivatives "
    "of a regularised objective instead of 'fits the residuals'",
    "resnet-facts::c1": "says 'on ImageNet': the paper also trains a 1,202-layer net on CIFAR-10",
    "resnet-facts::c2": "says 'on ImageNet': the paper also trains a 1,202-layer net on CIFAR-10",
    "grpc-py-client-streaming": "asks only the client side; the server side is "
    "grpc-py-client-streaming-server",
    "sofa-what": "says in its front that the notes do not say which SOFA they mean",
}

# Cards that left their deck on purpose, and why. Their history stays in every database that
# has them (a retired card is hidden, never deleted).
RETIRED: dict[str, str] = {
    # java-spring-linux.yaml
    "multipartfile-upload-code": "its code only put together multipartfile-def, "
    "multipartfile-methods and multipartfile-filename-risk; its one fact of its own is "
    "multipartfile-isempty",
    # nn-basics.yaml
    "pytorch-train-loop": "turned into a cloze of the four calls (issue 15), under the same id: "
    "its cards are now pytorch-train-loop::c1-c4; the front/back card keeps its history, retired",
    "feature-engineering-examples": "'name three operations' has no single answer to recall; "
    "replaced by feature-standardization, feature-scaling-which-models, feature-one-hot and "
    "feature-datetime",
    # llm-basics.yaml
    "model-selection-other": "'which three points besides benchmark scores' has no single right "
    "answer; replaced by llm-selection-own-eval, -license, -api-vs-open, -tokenizer, -context",
    # ml-engineering.yaml
    "xgb-torch-sklearn-when": "turned into one cloze with three deletions (issue 15), under the "
    "same id: its cards are now xgb-torch-sklearn-when::c1-c3; the front/back card keeps its "
    "history, retired",
}


def test_every_earlier_card_is_still_there_asking_the_same_question() -> None:
    now = bundled()
    problems = []
    for file, cards in BEFORE_ISSUE_15.items():
        current = now[file][1] if file in now else {}
        for key, question in cards.items():
            if key in RETIRED:
                if key in current:
                    problems.append(f"{file}: {key} is listed as retired but is still there")
            elif key not in current:
                problems.append(f"{file}: {key} is gone (retire it on purpose, with a reason)")
            elif key in REWORDED:
                if current[key] == question:
                    problems.append(f"{file}: {key} is listed as reworded but reads as before")
            elif current[key] != question:
                problems.append(
                    f"{file}: {key} now asks {current[key]!r}, not {question!r} "
                    "(if it is still the same question, say why in REWORDED)"
                )
    assert problems == []


def test_the_lists_of_changes_name_earlier_cards() -> None:
    earlier = {key for cards in BEFORE_ISSUE_15.values() for key in cards}
    assert set(REWORDED) - earlier == set()
    assert set(RETIRED) - earlier == set()
    assert set(REWORDED) & set(RETIRED) == set()
    assert all(reason.strip() for reason in [*REWORDED.values(), *RETIRED.values()])


def test_every_bundled_card_has_an_id_and_a_source() -> None:
    for path in sorted(DECKS.glob("*.yaml")):
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
        for entry in doc["cards"]:
            where = f"{path.name}: {entry.get('id') or entry.get('front') or entry.get('cloze')}"
            assert entry.get("id", "").strip(), f"{where}: no id"
            assert entry.get("source", "").strip(), f"{where}: no source"


def test_check_of_the_bundled_decks_is_clean() -> None:
    result = CliRunner().invoke(cli, ["check", str(DECKS)])
    assert result.exit_code == 0, result.output
    total = sum(len(cards) for _, cards in bundled().values())
    assert f" {total} cards" in result.output
    assert "draft:" not in result.output


def readme_deck_table() -> dict[str, tuple[str, int]]:
    """The table under README's "The bundled decks": file name -> (deck, cards)."""
    section = README.read_text(encoding="utf-8").split("### The bundled decks", 1)[1]
    section = section.split("\n#", 1)[0]
    rows = re.findall(r"^\| `decks/([^`]+)` \| (.+?) \| ([\d,]+) \|$", section, re.MULTILINE)
    return {file: (deck, int(count.replace(",", ""))) for file, deck, count in rows}


def test_the_readme_table_counts_the_cards_that_are_there() -> None:
    actual = {file: (deck, len(cards)) for file, (deck, cards) in bundled().items()}
    assert readme_deck_table() == actual


def cloze_answers(path: Path) -> dict[str, list[str]]:
    """Each cloze card's key -> the answers its deletion number hides."""
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    answers: dict[str, list[str]] = {}
    for entry in doc["cards"]:
        for match in DELETION.finditer(entry.get("cloze", "")):
            answer = match[2].partition("::")[0]
            answers.setdefault(f"{entry['id']}::c{match[1]}", []).append(one_line(answer))
    return answers


@pytest.mark.parametrize("file", sorted(path.name for path in DECKS.glob("*.yaml")))
def test_a_revealed_cloze_answer_is_emphasised(file: str) -> None:
    """The back of a cloze shows its answer emphasised, the way the app parses it. An answer
    inside a code span or block could not be (the asterisks would show), nor one whose
    emphasis Markdown's flanking rules refuse, so the decks write none that way."""
    from flashcards.decks import load_deck
    from flashcards.tui.widgets.card_markdown import card_parser

    parser = card_parser()
    answers = cloze_answers(DECKS / file)
    problems = []
    for card in load_deck(DECKS / file).cards:
        if card.kind != "cloze":
            continue
        emphasised, inside = [], False
        for block in parser.parse(card.back):
            for token in block.children or ():
                if token.type == "strong_open":
                    inside = True
                    emphasised.append("")
                elif token.type == "strong_close":
                    inside = False
                elif inside:
                    emphasised[-1] += token.content
        shown = [one_line(text) for text in emphasised]
        missing = [answer for answer in answers[card.key] if answer not in shown]
        if missing:
            problems.append(f"{file}: {card.key}: not emphasised on the back: {missing}")
    assert problems == []
