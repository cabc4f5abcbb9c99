# bash completion for ferry(1): commands, options, profile names (from the
# config file) and remote paths (asked of the server with `ferry ls`, only
# when a server is configured: -s or --profile on the command line,
# FERRY_SERVER, FERRY_PROFILE or a config file).  Installed as
# share/bash-completion/completions/ferry.

_ferry_globals='-s --server --ca --cert --key --crl --pin-sha256 --allow-open-key -j --parallel --retries --json -q --quiet --config --profile -b --batch -h --help -V --version'
_ferry_commands='put get ls stat sum check rm mkdir mv whoami config shell help'

# The config file ferry would read: --config, FERRY_CONFIG, the default.
_ferry_config_file() {
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == --config ]] && { echo "${COMP_WORDS[i + 1]}"; return; }
		[[ ${COMP_WORDS[i]} == --config=* ]] && { echo "${COMP_WORDS[i]#--config=}"; return; }
	done
	if [[ -n ${FERRY_CONFIG:-} ]]; then
		echo "$FERRY_CONFIG"
	elif [[ ${XDG_CONFIG_HOME:-} == /* ]]; then
		echo "$XDG_CONFIG_HOME/ferry/config"
	else
		echo "$HOME/.config/ferry/config"
	fi
}

# The [profile NAME] names of that file.
_ferry_profiles() {
	local f
	f=$(_ferry_config_file)
	[[ -r $f ]] && sed -nE 's/^[[:space:]]*\[profile ([^]]+)\][[:space:]]*$/\1/p' "$f"
}

# The global options given so far (to reach the same server as the user).
_ferry_conn_args() {
	local i w
	_ferry_conn=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-s | --server | --ca | --cert | --key | --crl | --pin-sha256 | --config | --profile)
			_ferry_conn+=("$w" "${COMP_WORDS[i + 1]}")
			((i++))
			;;
		--server=* | --ca=* | --cert=* | --key=* | --crl=* | --pin-sha256=* | --config=* | --profile=* | --allow-open-key)
			_ferry_conn+=("$w")
			;;
		esac
	done
}

# Remote names below the directory part of $1, directories with a '/'.
_ferry_remote() {
	local cur=$1 dir="" line name has_server=${FERRY_SERVER:-}${FERRY_PROFILE:-}
	_ferry_conn_args
	[[ " ${_ferry_conn[*]} " == *" -s "* || " ${_ferry_conn[*]} " == *" --server"* ||
		" ${_ferry_conn[*]} " == *" --profile"* ]] && has_server=1
	[[ -r $(_ferry_config_file) ]] && has_server=1
	[[ -n $has_server ]] || return 0
	[[ $cur == */* ]] && dir=${cur%/*}/
	while IFS= read -r name; do
		# one name per line, directories with a trailing '/'
		[[ -n $name ]] && COMPREPLY+=("$dir$name")
	done < <(timeout 3 ferry "${_ferry_conn[@]}" -q ls "${dir:-/}" 2>/dev/null)
	COMPREPLY=($(compgen -W '"${COMPREPLY[@]}"' -- "$cur" 2>/dev/null))
	[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == */ ]] && compopt -o nospace 2>/dev/null
	return 0
}

_ferry() {
	local cur prev i cmd="" nargs=0
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	case $prev in
	--ca | --cert | --key | --crl | --config | -b | --batch)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		return 0
		;;
	-s | --server | --profile)
		COMPREPLY=($(compgen -W "$(_ferry_profiles)" -- "$cur"))
		return 0
		;;
	--pin-sha256 | --retries | -j | --parallel | --sha256)
		return 0
		;;
	esac
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-s | --server | --ca | --cert | --key | --crl | --pin-sha256 | -j | --parallel | --retries | --config | --profile | -b | --batch | --sha256 | --remote-dir) ((i++)) ;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=${COMP_WORDS[i]}
			else
				((nargs++))
			fi
			;;
		esac
	done
	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$_ferry_globals" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$_ferry_commands" -- "$cur"))
		fi
		return 0
	fi
	case $cmd in
	put | get)
		if [[ $cur == -* ]]; then
			if [[ $cmd == put ]]; then
				COMPREPLY=($(compgen -W '-r --recursive -p --preserve --overwrite --resume --skip-same --sha256 --retries -j --parallel --help' -- "$cur"))
			else
				COMPREPLY=($(compgen -W '-r --recursive -p --preserve --overwrite --resume --sha256 --retries -j --parallel --help' -- "$cur"))
			fi
		elif [[ $cmd == put ]]; then
			# local files; the last argument is remote
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
			((nargs > 0)) && _ferry_remote "$cur"
		else
			_ferry_remote "$cur"
			if ((nargs > 0)); then
				compopt -o filenames 2>/dev/null
				COMPREPLY+=($(compgen -d -- "$cur"))
			fi
		fi
		;;
	config | shell)
		[[ $cur == -* ]] && COMPREPLY=($(compgen -W '--help' -- "$cur"))
		;;
	ls | stat | sum | rm | mkdir | mv)
		if [[ $cur == -* ]]; then
			case $cmd in
			ls) COMPREPLY=($(compgen -W '-l --long -R --recursive --json --help' -- "$cur")) ;;
			stat) COMPREPLY=($(compgen -W '--sha256 --json --help' -- "$cur")) ;;
			rm) COMPREPLY=($(compgen -W '-r --recursive --help' -- "$cur")) ;;
			mkdir) COMPREPLY=($(compgen -W '-p --parents --help' -- "$cur")) ;;
			mv) COMPREPLY=($(compgen -W '--overwrite --help' -- "$cur")) ;;
			*) COMPREPLY=($(compgen -W '--help' -- "$cur")) ;;
			esac
		else
			_ferry_remote "$cur"
		fi
		;;
	check)
		case $prev in
		--remote-dir)
			_ferry_remote "$cur"
			return 0
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--remote-dir --quiet --status --warn --ignore-missing --strict --json --help' -- "$cur"))
		else
			compopt -o filenames 2>/dev/null
			COMPREPLY=($(compgen -f -- "$cur"))
		fi
		;;
	help)
		((nargs == 0)) && COMPREPLY=($(compgen -W "${_ferry_commands% help}" -- "$cur"))
		;;
	*) ;;
	esac
	return 0
}
complete -F _ferry ferry
