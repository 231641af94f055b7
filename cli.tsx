/**
 * lmscope's command line: parses flags (meow), resolves the model, runs one command. Every user
 * error ends here as one line on stderr and exit code 2; nothing below prints a stack trace.
 */
import meow from 'meow';
import {runCommand} from './source/cli/run.js';
import {reportError} from './source/cli/exit.js';

// `eval --json OUT` takes a path where the other commands' --json is a switch: give it its own flag.
const argv = process.argv.slice(2);
if (argv[0] === 'eval') {
	const at = argv.indexOf('--json');
	if (at >= 0 && argv[at + 1] !== undefined && !argv[at + 1]!.startsWith('-')) argv.splice(at, 2, `--json-out=${argv[at + 1]}`);
}

const cli = meow(
	`
  Usage
    $ lmscope [PROMPT]                      run \`trace\` on PROMPT (the inspector comes next)
    $ lmscope trace "PROMPT" [flags]        one forward pass: tokens, next-token distribution,
                                            and per layer the residual norm, the most-attended
                                            token of each head and the logit-lens prediction
    $ lmscope generate "PROMPT" [flags]     stream a continuation token by token
    $ lmscope graph [MODEL]                 show what graph discovery found in an ONNX model
    $ lmscope ratings summary [PATH]        means per axis and model, inter-rater agreement
    $ lmscope eval DATA [flags]             batch evaluation: generate, find, score, gate CI
    $ lmscope score --ref REF [--ref REF2] < HYP
                                            score hypotheses (one a line) against references

  Model
    --model, -m PATH        a folder (model.onnx or onnx/model.onnx, tokenizer.json,
                            tokenizer_config.json, config.json) or a .onnx file;
                            default: the model shipped in models/default
                            or a Hugging Face Hub id (org/name), fetched once into the cache
    --tokenizer DIR         tokenizer folder, for a bare .onnx file
    --dtype D               which ONNX file of a folder or Hub repo: fp32 (model.onnx), fp16,
                            q8 (model_quantized.onnx), int8, uint8, q4, q4f16, bnb4
    --revision R            Hub branch, tag or commit (default main)
    --offline               never use the network (also HF_HUB_OFFLINE=1): Hub models must be cached
    --prompt-file FILE      read the prompt from a UTF-8 file instead of the argument
    --device D              cpu or cuda (default: cuda when its provider is installed and a GPU
                            is present, else cpu); shown in the header

  inspect
    --break EXPR            a breakpoint to start with (repeatable): "p < 0.2", "top1 < 0.3",
                            "entropy > 3", "/regex/", "finding", "finding:CATEGORY"
    --reference FILE        a reference/source text the output is checked against (findings:
                            unsupported names and numbers, omissions, contradictions)
    --low-probability P     findings: tokens below P are low-confidence (default 0.05; also eval)
    --high-entropy H        findings: distributions above H nats are high-entropy (default 5; also eval)
    --rater NAME            who is rating (r), default the OS user
    --ratings PATH          ratings file (JSONL), default .lmscope/ratings.jsonl
    --max-new-tokens N      the most tokens one continue (c) generates (default 40)
    --temperature, --top-k, --top-p, --seed   sampling for step and continue, as in generate

  trace
    --top-k K               how many next-token and logit-lens candidates (default 5)
    --json                  print the whole summary as JSON (also for \`graph\`)

  generate
    --max-new-tokens N      tokens to generate (default 40)
    --temperature T         0 = greedy (default); > 0 samples from softmax(logits / T)
    --top-k K               sample only from the K most likely tokens (0 = off, default)
    --top-p P               sample from the smallest set with probability >= P (default 1 = off)
    --seed S                random seed, so sampled runs can be replayed (default 0)

  eval
    --prompt-field F        field with the prompt (default "prompt"; text files: every line)
    --reference-field F     field with the reference, a string or a list (default "reference")
    --prediction-field F    the data already holds outputs: score those, no generation
    --metrics LIST          as for score; perplexity of the reference is added with a model
    --json OUT              write everything to OUT (items also go to OUT.items.jsonl as they finish)
    --resume                continue an interrupted run without redoing finished items
    --fail-under M=V        exit 1 when metric M is below V (perplexity: above); repeatable
    --max-new-tokens, --temperature, --top-k, --top-p, --seed   generation, as in generate

  score
    --ref FILE              a reference file, one segment a line (repeat for more references)
    --metrics LIST          comma-separated: bleu, chrf, rouge (= rouge1,rouge2,rougeL,rougeLsum),
                            em, f1 (default bleu,chrf,rouge)
    --tokenize T            BLEU tokenizer: 13a (default), intl, char, none
    --lowercase             case-insensitive BLEU and chrF
    --stem                  Porter stemming for ROUGE
    --json                  every metric with its signature and per-segment scores

  General
    --verbose               per-token probabilities in \`generate\`; ONNX Runtime's own log;
                            stack traces of internal errors
    --help                  this text
    --version               the version

  Examples
    $ lmscope "The doctor said that" --break "p < 0.2"
    $ lmscope trace "In the beginning God created"
    $ lmscope generate "And the king said unto" --max-new-tokens 30 --temperature 0.8 --seed 7
    $ lmscope graph ./my-gpt2-export
`,
	{
		importMeta: import.meta,
		argv,
		allowUnknownFlags: false,
		flags: {
			model: {type: 'string', shortFlag: 'm'},
			device: {type: 'string'},
			tokenizer: {type: 'string'},
			revision: {type: 'string'},
			dtype: {type: 'string'},
			offline: {type: 'boolean', default: false},
			promptFile: {type: 'string'},
			topK: {type: 'number'},
			json: {type: 'boolean', default: false},
			maxNewTokens: {type: 'number', default: 40},
			temperature: {type: 'number', default: 0},
			topP: {type: 'number', default: 1},
			seed: {type: 'number', default: 0},
			verbose: {type: 'boolean', default: false},
			break: {type: 'string', isMultiple: true, default: []},
			reference: {type: 'string'},
			rater: {type: 'string'},
			lowProbability: {type: 'number'},
			highEntropy: {type: 'number'},
			ref: {type: 'string', isMultiple: true, default: []},
			metrics: {type: 'string'},
			tokenize: {type: 'string'},
			lowercase: {type: 'boolean', default: false},
			stem: {type: 'boolean', default: false},
			promptField: {type: 'string'},
			referenceField: {type: 'string'},
			predictionField: {type: 'string'},
			jsonOut: {type: 'string'},
			resume: {type: 'boolean', default: false},
			failUnder: {type: 'string', isMultiple: true, default: []},
			ratings: {type: 'string'},
		},
	},
);

process.stdout.on('error', error => {
	// `lmscope generate ... | head` closes the pipe early: that is not an error.
	if ((error as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0);
	throw error;
});

try {
	await runCommand(cli.input, cli.flags);
} catch (error) {
	process.exitCode = reportError(error, cli.flags.verbose);
}
