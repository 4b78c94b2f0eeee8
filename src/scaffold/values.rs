//! Gathers template variable values: a flag, then `--define`, then a prompt (only on a
//! terminal and without `--yes`), then the manifest's default.

use std::collections::BTreeMap;

use anyhow::{Context as _, Result, bail};
use dialoguer::{Confirm, Input, MultiSelect, Select, theme::ColorfulTheme};
use serde_json::Value;

use super::template::{self, Manifest, VarKind, Variable};

/// Splits `KEY=VALUE` definitions, refusing unknown keys so a typo is never silently ignored.
pub fn parse_defines(manifest: &Manifest, defines: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for def in defines {
        let (key, value) = def.split_once('=').with_context(|| {
            format!("--define `{def}` is not KEY=VALUE: write it as --define name=value")
        })?;
        if !manifest.variables.contains_key(key) {
            let known: Vec<&str> = manifest.variables.keys().map(String::as_str).collect();
            bail!(
                "the template has no variable `{key}`: known variables are {}",
                known.join(", ")
            );
        }
        out.insert(key.to_string(), value.to_string());
    }
    Ok(out)
}

/// Resolves every variable of the manifest to a JSON value.
pub fn resolve(
    manifest: &Manifest,
    given: &BTreeMap<String, String>,
    interactive: bool,
) -> Result<serde_json::Map<String, Value>> {
    let mut out = serde_json::Map::new();
    for (name, var) in &manifest.variables {
        let value = if let Some(text) = given.get(name) {
            template::parse_text(name, var, text)?
        } else if interactive && var.ask {
            prompt(name, var)?
        } else if let Some(default) = &var.default {
            template::typed_value(name, var, default)?
        } else {
            bail!("variable `{name}` has no default: pass --define {name}=VALUE");
        };
        out.insert(name.clone(), value);
    }
    Ok(out)
}

fn prompt(name: &str, var: &Variable) -> Result<Value> {
    let theme = ColorfulTheme::default();
    let default = var
        .default
        .as_ref()
        .map(|d| template::typed_value(name, var, d))
        .transpose()?;
    let value = match var.kind {
        VarKind::String => {
            let mut input = Input::<String>::with_theme(&theme).with_prompt(&var.prompt);
            if let Some(Value::String(d)) = &default {
                input = input.default(d.clone());
            }
            Value::String(input.interact_text()?)
        }
        VarKind::Integer => {
            let mut input = Input::<i64>::with_theme(&theme).with_prompt(&var.prompt);
            if let Some(d) = default.as_ref().and_then(Value::as_i64) {
                input = input.default(d);
            }
            Value::from(input.interact_text()?)
        }
        VarKind::Bool => {
            let d = default.as_ref().and_then(Value::as_bool).unwrap_or(false);
            Value::Bool(
                Confirm::with_theme(&theme)
                    .with_prompt(&var.prompt)
                    .default(d)
                    .interact()?,
            )
        }
        VarKind::Choice if var.choices.len() == 1 => Value::String(var.choices[0].clone()),
        VarKind::Choice => {
            let d = default.as_ref().and_then(Value::as_str);
            let index = d
                .and_then(|d| var.choices.iter().position(|c| c == d))
                .unwrap_or(0);
            let picked = Select::with_theme(&theme)
                .with_prompt(&var.prompt)
                .items(&var.choices)
                .default(index)
                .interact()?;
            Value::String(var.choices[picked].clone())
        }
        VarKind::List => {
            let picked = default
                .as_ref()
                .map(template::list_picked)
                .unwrap_or_default();
            let defaults: Vec<bool> = var.choices.iter().map(|c| picked.contains(c)).collect();
            let chosen = MultiSelect::with_theme(&theme)
                .with_prompt(format!("{} (space toggles, enter accepts)", var.prompt))
                .items(&var.choices)
                .defaults(&defaults)
                .interact()?;
            let names: Vec<String> = chosen.into_iter().map(|i| var.choices[i].clone()).collect();
            template::list_value(var, &names)
        }
    };
    Ok(value)
}

/// Asks for the crate name, or returns the default without a terminal.
pub fn prompt_name(default: &str, interactive: bool) -> Result<String> {
    if !interactive {
        return Ok(default.to_string());
    }
    Ok(Input::<String>::with_theme(&ColorfulTheme::default())
        .with_prompt("Crate name")
        .default(default.to_string())
        .interact_text()?)
}

/// Asks whether to create a git repository, or returns the default without a terminal.
pub fn prompt_git(default: bool, interactive: bool) -> Result<bool> {
    if !interactive {
        return Ok(default);
    }
    Ok(Confirm::with_theme(&ColorfulTheme::default())
        .with_prompt("Initialise a git repository?")
        .default(default)
        .interact()?)
}
